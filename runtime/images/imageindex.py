"""`images/`: image configs stored by id (`images/sha256/<hex>`, the bytes exactly as received), the
tag index `images/repositories.json` (familiar `name:tag` → image id) and the parent of each image a build
made `images/parents.json` (child id → parent id, as moby keeps it beside the config), and when each image was
last tagged `images/lasttagged.json` (as moby's image metadata "lastUpdated"). Callers hold the store's lock."""

import hashlib
import json
import os
from pathlib import Path

from runtime.atomicfile import read_json, write_bytes_atomic, write_json_atomic
from runtime.errors import HostError

TAGS_FILE = "repositories.json"
HOLDS_FILE = "holds.json"
PARENTS_FILE = "parents.json"
DIGESTS_FILE = "repodigests.json"
LAST_TAGGED_FILE = "lasttagged.json"


class ImageIndex:
    def __init__(self, data_root: Path) -> None:
        self._dir = data_root / "images"
        self._configs_dir = self._dir / "sha256"
        self._configs_dir.mkdir(parents=True, exist_ok=True)
        self.configs: dict[str, dict] = {}
        for path in self._configs_dir.iterdir():
            if path.name.startswith("."):
                path.unlink()  # an atomic write interrupted by a crash
                continue
            self.configs[f"sha256:{path.name}"] = self._parse(path, path.read_bytes())
        tags_path = self._dir / TAGS_FILE
        self.tags: dict[str, str] = read_json(tags_path)["tags"] if tags_path.exists() else {}
        holds_path = self._dir / HOLDS_FILE
        self.holds: dict[str, list[str]] = read_json(holds_path)["holds"] if holds_path.exists() else {}
        parents_path = self._dir / PARENTS_FILE
        self.parents: dict[str, str] = read_json(parents_path)["parents"] if parents_path.exists() else {}
        digests_path = self._dir / DIGESTS_FILE
        # `name@sha256:<manifest digest>` -> image id, for RepoDigests and pulls by digest
        self.digests: dict[str, str] = read_json(digests_path)["digests"] if digests_path.exists() else {}
        last_tagged_path = self._dir / LAST_TAGGED_FILE
        # image id -> RFC 3339 time of its last `docker tag`, build -t, import or commit with a name
        self.last_tagged: dict[str, str] = read_json(last_tagged_path)["times"] if last_tagged_path.exists() else {}

    @staticmethod
    def _parse(path: Path, data: bytes) -> dict:
        try:
            config = json.loads(data)
        except ValueError as error:
            raise HostError(f"images: config {path}: not valid JSON: {error}") from None
        if not isinstance(config, dict):
            raise HostError(f"images: config {path}: not a JSON object")
        return config

    def add_config(self, data: bytes, config: dict) -> str:
        image_id = f"sha256:{hashlib.sha256(data).hexdigest()}"
        if image_id not in self.configs:
            write_bytes_atomic(self._configs_dir / image_id.removeprefix("sha256:"), data, mode=0o644)
            self.configs[image_id] = config
        return image_id

    def config_bytes(self, image_id: str) -> bytes:
        return (self._configs_dir / image_id.removeprefix("sha256:")).read_bytes()

    def remove_config(self, image_id: str) -> None:
        os.unlink(self._configs_dir / image_id.removeprefix("sha256:"))
        del self.configs[image_id]
        if image_id in self.digests.values():
            self.digests = {ref: target for ref, target in self.digests.items() if target != image_id}
            write_json_atomic(self._dir / DIGESTS_FILE, {"digests": self.digests})
        if image_id in self.parents:
            self.set_parent(image_id, None)
        if self.last_tagged.pop(image_id, None) is not None:
            write_json_atomic(self._dir / LAST_TAGGED_FILE, {"times": self.last_tagged})

    def set_last_tagged(self, image_ids: set[str], when: str) -> None:
        self.last_tagged.update(dict.fromkeys(image_ids, when))
        write_json_atomic(self._dir / LAST_TAGGED_FILE, {"times": self.last_tagged})

    def set_parent(self, image_id: str, parent: str | None) -> None:
        if parent is None:
            self.parents.pop(image_id, None)
        else:
            self.parents[image_id] = parent
        write_json_atomic(self._dir / PARENTS_FILE, {"parents": self.parents})

    def set_digest(self, reference: str, image_id: str) -> None:
        self.digests[reference] = image_id
        write_json_atomic(self._dir / DIGESTS_FILE, {"digests": self.digests})

    def digests_of(self, image_id: str) -> list[str]:
        return sorted(ref for ref, target in self.digests.items() if target == image_id)

    def has_children(self, image_id: str) -> bool:
        return image_id in self.parents.values()

    def tags_of(self, image_id: str) -> list[str]:
        return sorted(tag for tag, target in self.tags.items() if target == image_id)

    def set_tags(self, updates: dict[str, str | None]) -> None:
        """Point each tag at an id, or drop it (None), and persist the index once."""
        for tag, image_id in updates.items():
            if image_id is None:
                self.tags.pop(tag, None)
            else:
                self.tags[tag] = image_id
        write_json_atomic(self._dir / TAGS_FILE, {"tags": self.tags})

    def set_hold(self, holder: str, diff_ids: list[str] | None) -> None:
        holds = {h: d for h, d in self.holds.items() if h != holder}
        if diff_ids is not None:
            holds[holder] = diff_ids
        self.set_holds(holds)

    def set_holds(self, holds: dict[str, list[str]]) -> None:
        """Written first, kept in memory once on disk: a write refused (a full disk) changes nothing, so the
        same call can be made again."""
        write_json_atomic(self._dir / HOLDS_FILE, {"holds": holds})
        self.holds = holds

    def referenced_layers(self) -> set[str]:
        """Layers some image or holder still needs."""
        referenced = {d for config in self.configs.values() for d in (config.get("rootfs") or {}).get("diff_ids") or []}
        return referenced.union(*self.holds.values())
