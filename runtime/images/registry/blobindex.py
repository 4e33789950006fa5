"""Which compressed blob in which registry repository holds each layer (moby's v2 metadata service): a push
skips blobs the registry has and mounts those it holds in another repository, instead of compressing and
uploading the layer again. Kept in `images/blobs.json`."""

import threading
from pathlib import Path

from runtime.atomicfile import read_json, write_json_atomic

BLOBS_FILE = "blobs.json"


class BlobIndex:
    def __init__(self, data_root: Path) -> None:
        self._path = data_root / "images" / BLOBS_FILE
        self._lock = threading.Lock()
        self._entries: dict[str, list[list[str]]] = read_json(self._path)["layers"] if self._path.exists() else {}

    def record(self, diff_id: str, host: str, repository: str, digest: str) -> None:
        with self._lock:
            known = self._entries.setdefault(diff_id, [])
            if [host, repository, digest] not in known:
                known.append([host, repository, digest])
                write_json_atomic(self._path, {"layers": self._entries})

    def known(self, diff_id: str, host: str) -> list[tuple[str, str]]:
        """(repository, blob digest) of this layer in registry `host`."""
        with self._lock:
            return [(repo, digest) for h, repo, digest in self._entries.get(diff_id, []) if h == host]
