"""The classic builder's layer cache: a step is reused when its parent image and its instruction (after
substitution, with COPY/ADD's content hash in it) and the run config it leaves match a step built before.
Kept in `images/buildcache.json` beside the images, so it survives a daemon restart; an entry whose image was
removed is a miss (and is dropped). Each entry's uses are counted, for `docker system df`."""

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runtime.atomicfile import read_json, write_json_atomic

CACHE_FILE = "buildcache.json"


@dataclass(frozen=True, slots=True)
class CacheEntry:
    key: str
    image_id: str  # the step's image
    last_used_ns: int  # its last hit (or its making)
    usage_count: int  # hits


def cache_key(parent_id: str, created_by: str, run_config: dict) -> str:
    document = json.dumps([parent_id, created_by, run_config], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(document.encode()).hexdigest()


class BuildCache:
    def __init__(self, data_root: Path, exists: Callable[[str], bool]) -> None:
        self._path = data_root / "images" / CACHE_FILE
        self._exists = exists
        self._lock = threading.Lock()
        document = read_json(self._path) if self._path.exists() else {}
        self._entries: dict[str, str] = document.get("steps", {})
        self._usage: dict[str, list[int]] = document.get("usage", {})  # key -> [last used ns, hits]
        self._dirty = False

    def lookup(self, key: str) -> str | None:
        with self._lock:
            image_id = self._entries.get(key)
            if image_id is None:
                return None
            if not self._exists(image_id):
                del self._entries[key]
                self._usage.pop(key, None)
            else:
                used = self._usage.get(key, [0, 0])
                self._usage[key] = [time.time_ns(), used[1] + 1]
            self._dirty = True  # written by flush(), once per build: a hit must stay cheap
            return self._entries.get(key)

    def record(self, key: str, image_id: str) -> None:
        with self._lock:
            if self._entries.get(key) != image_id:
                self._entries[key] = image_id
                self._usage[key] = [time.time_ns(), 0]
                self._save()

    def entries(self) -> list[CacheEntry]:
        with self._lock:
            return [CacheEntry(key, image_id, *self._usage.get(key, [0, 0])) for key, image_id in self._entries.items()]

    def forget_all(self) -> list[CacheEntry]:
        """Forget every entry (`docker builder prune`); the ones there were."""
        with self._lock:
            forgotten = [CacheEntry(k, i, *self._usage.get(k, [0, 0])) for k, i in self._entries.items()]
            self._entries, self._usage = {}, {}
            self._save()
            return forgotten

    def flush(self) -> None:
        """Persist what lookups changed (hits counted, entries of removed images dropped)."""
        with self._lock:
            if self._dirty:
                self._save()

    def _save(self) -> None:
        write_json_atomic(self._path, {"steps": self._entries, "usage": self._usage})
        self._dirty = False

    def __len__(self) -> int:
        return len(self._entries)
