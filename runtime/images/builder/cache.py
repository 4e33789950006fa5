"""The classic builder's layer cache: a step is reused when its parent image and its instruction (after
substitution, with COPY/ADD's content hash in it) and the run config it leaves match a step built before.
Kept in `images/buildcache.json` beside the images, so it survives a daemon restart; an entry whose image was
removed is a miss (and is dropped)."""

import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path

from runtime.atomicfile import read_json, write_json_atomic

CACHE_FILE = "buildcache.json"


def cache_key(parent_id: str, created_by: str, run_config: dict) -> str:
    document = json.dumps([parent_id, created_by, run_config], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(document.encode()).hexdigest()


class BuildCache:
    def __init__(self, data_root: Path, exists: Callable[[str], bool]) -> None:
        self._path = data_root / "images" / CACHE_FILE
        self._exists = exists
        self._lock = threading.Lock()
        self._entries: dict[str, str] = read_json(self._path)["steps"] if self._path.exists() else {}

    def lookup(self, key: str) -> str | None:
        with self._lock:
            image_id = self._entries.get(key)
            if image_id is None:
                return None
            if not self._exists(image_id):
                del self._entries[key]
                write_json_atomic(self._path, {"steps": self._entries})
                return None
            return image_id

    def record(self, key: str, image_id: str) -> None:
        with self._lock:
            if self._entries.get(key) != image_id:
                self._entries[key] = image_id
                write_json_atomic(self._path, {"steps": self._entries})

    def prune(self) -> int:
        """Forget every entry (`docker builder prune`); returns how many there were."""
        with self._lock:
            count = len(self._entries)
            self._entries = {}
            write_json_atomic(self._path, {"steps": self._entries})
            return count

    def __len__(self) -> int:
        return len(self._entries)
