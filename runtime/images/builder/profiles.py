"""The cost of each build step that ran (not of the ones the cache answered), kept by the step's image id, so
the cost of any image a build made is read back along its chain of step images: the Images page's step profile
of an image's last build. RUN steps carry their container's cgroup counters; other steps their wall time.
Kept in `images/stepprofiles.json` beside the images; a removed image's entry is dropped when read."""

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from runtime.atomicfile import read_json, write_json_atomic
from runtime.images.image import Image

PROFILES_FILE = "stepprofiles.json"


@dataclass(frozen=True, slots=True)
class StepRecord:
    image_id: str
    created_by: str
    wall_seconds: float
    cpu_seconds: float | None = None
    peak_memory_bytes: int | None = None
    written_bytes: int | None = None
    layer_bytes: int = 0


class StepProfiles:
    def __init__(self, data_root: Path) -> None:
        self._path = data_root / "images" / PROFILES_FILE
        self._lock = threading.Lock()
        self._records: dict[str, dict] = read_json(self._path) if self._path.exists() else {}

    def record(self, record: StepRecord) -> None:
        with self._lock:
            self._records[record.image_id] = asdict(record)
            write_json_atomic(self._path, self._records)

    def chain(self, image: Image, parent_of: Callable[[str], Image | None]) -> list[StepRecord]:
        """The recorded steps of `image` and of the step images below it, base first; stops at the first
        image no build of this daemon made (a pulled or imported base)."""
        steps: list[StepRecord] = []
        current: Image | None = image
        with self._lock:
            while current is not None and current.id in self._records:
                steps.append(StepRecord(**self._records[current.id]))
                current = parent_of(current.parent) if current.parent else None
        steps.reverse()
        return steps
