"""The image store: import, load, save, tag, remove and resolve images over content-addressed layers.

Layout under the data root: `images/` (configs by id, tags, layer holds), `layers/sha256/<hex>/` (trees by
diff_id, shared between images), `tmp/` (uploads and extractions in progress; emptied at start-up).
One lock guards the index; slow extraction runs outside it and commits with a rename (see layerstore).
"""

from __future__ import annotations

import re
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from runtime.errors import InvalidParameter, NotFound
from runtime.images.archive import ImageArchive, spool_upload
from runtime.images.image import Image
from runtime.images.imageconfig import canonical_json, import_config, import_container_config, unix_seconds
from runtime.images.imageindex import ImageIndex
from runtime.images.layerstore import LayerStore, remove_tree
from runtime.images.loader import ImageToLoad, images_in_archive
from runtime.images.mergedview import copy_merged_directory
from runtime.images.readers import CountingReader
from runtime.images.reference import ImageReference, id_from_digest_text, parse_reference, parse_repo_and_tag
from runtime.images.removal import ImageUser, remove_references
from runtime.images.save import ImageToSave, write_archive
from runtime.images.shapes import history_shape, inspect_shape, summary_shape

__all__ = ["Image", "ImageStore", "ImageUser"]

_HEX = re.compile(r"[a-f0-9]+")


class ImageStore:
    def __init__(self, data_root: Path) -> None:
        self._lock = threading.RLock()
        self._tmp = data_root / "tmp"
        self._index = ImageIndex(data_root)
        self._layers = LayerStore(data_root, self._lock)
        self._layer_sizes: dict[str, int] = {}
        self._layers.clear_tmp()
        self._collect_layers(self._layers.all_diff_ids())  # orphans of an operation a crash interrupted

    # --- reading -------------------------------------------------------------------------------------

    def list(self) -> list[Image]:
        """Every image, newest first."""
        with self._lock:
            images = [self._image(image_id) for image_id in self._index.configs]
        return sorted(images, key=lambda i: (-unix_seconds(i.config.get("created")), i.id))

    def resolve(self, reference: str) -> Image:
        """By name[:tag], `sha256:<hex>`, 64-hex id or unique id prefix; NotFound("No such image: …")."""
        with self._lock:
            return self._image(self._resolve_id(reference))

    def history(self, reference: str) -> list[dict]:
        image = self.resolve(reference)
        return history_shape(image, {d: self._layer_size(d) for d in image.diff_ids})

    def inspect(self, image: Image) -> dict:
        return inspect_shape(image, self.layer_paths(image))

    def summary(self, image: Image) -> dict:
        return summary_shape(image)

    def layer_paths(self, image: Image) -> list[Path]:
        """The extracted layer trees, base first (reverse them for overlayfs lowerdir)."""
        return [self._layers.tree(diff_id) for diff_id in image.diff_ids]

    def copy_out(self, image: Image, path_in_image: str, dest: Path) -> None:
        """Copy the image's merged directory `path_in_image` into `dest` (nothing if it is absent)."""
        copy_merged_directory(self.layer_paths(image), path_in_image, dest)

    # --- writing -------------------------------------------------------------------------------------

    def import_rootfs(
        self,
        stream: BinaryIO,
        reference: str | None,
        *,
        changes: Sequence[str] = (),
        message: str = "",
        progress: Callable[[int], None] | None = None,
    ) -> Image:
        """`docker import`: one rootfs tar (plain or compressed) becomes a one-layer image."""
        target = parse_repo_and_tag(reference, None) if reference else None
        container_config = import_container_config(changes)  # bad changes fail before the upload is read
        extracted = self._layers.add(CountingReader(stream, progress), "import")
        try:
            config = import_config(extracted.diff_id, container_config, message, time.time_ns())
            with self._lock:
                image_id = self._index.add_config(canonical_json(config), config)
                if target is not None:
                    self._index.set_tags({target.familiar(): image_id})
                return self._image(image_id)
        finally:
            self._release([extracted.diff_id])

    def load(self, stream: BinaryIO, progress: Callable[[int], None] | None = None) -> list[str]:
        """`docker load` of a docker-save or OCI archive; returns Docker's lines ("Loaded image: …")."""
        spool = Path(tempfile.mkstemp(prefix="load-", suffix=".tar", dir=self._tmp)[1])
        pinned: list[str] = []
        try:
            spool_upload(stream, spool, progress)
            archive = ImageArchive(spool)
            try:
                images = images_in_archive(archive)
                for image in images:
                    self._add_layers(archive, image, pinned)
            finally:
                archive.close()
            with self._lock:
                return self._commit_loaded(images)
        finally:
            spool.unlink(missing_ok=True)
            self._release(pinned)

    def check_save(self, references: Sequence[str]) -> None:
        """What would make a save fail, checked before the first byte of the archive goes out."""
        if not references:
            raise InvalidParameter("images: save: names: at least one image is needed")
        with self._lock:
            self._images_to_save(references)

    def save(self, references: Sequence[str], out: BinaryIO) -> None:
        """`docker save`: an archive Docker ≥ 25 and our own `load` both accept."""
        self.check_save(references)
        with self._lock:
            images = self._images_to_save(references)
            wanted = [d for image in images for d in image.config["rootfs"]["diff_ids"]]
            pinned = [d for d in wanted if self._layers.pin_existing(d)]
        try:
            write_archive(out, images, self._layers)
        finally:
            self._release(pinned)

    def tag(self, reference: str, repo: str, tag: str | None) -> None:
        target = parse_repo_and_tag(repo, tag)
        with self._lock:
            self._index.set_tags({target.familiar(): self._resolve_id(reference)})

    def remove(self, reference: str, *, force: bool, in_use_by: Callable[[str], ImageUser | None]) -> list[dict]:
        """`docker rmi`: [{"Untagged": …}, {"Deleted": image id}, {"Deleted": layer diff_id}, …].

        `in_use_by(image_id)` is called without the store's lock held, so it may take the engine's locks.
        """
        while True:
            with self._lock:
                image_id = self._resolve_id(reference)
            user = in_use_by(image_id)
            with self._lock:
                if self._resolve_id(reference) != image_id:
                    continue  # retagged meanwhile: ask again about the image the name now means
                records, delete = remove_references(self._index, image_id, reference, force, user)
                if not delete:
                    return records
                candidates = self._index.configs[image_id]["rootfs"]["diff_ids"]
                self._index.remove_config(image_id)
                records.append({"Deleted": image_id})
                break
        return records + [{"Deleted": diff_id} for diff_id in self._collect_layers(candidates)]

    def hold_layers(self, holder: str, image: Image) -> None:
        """Keep `image`'s layers while `holder` (a container id) uses them, even if the image is removed."""
        with self._lock:
            self._index.set_hold(holder, image.diff_ids)

    def release_layers(self, holder: str) -> None:
        """The holder is gone; its layers go too unless an image or another holder needs them."""
        with self._lock:
            released = self._index.holds.get(holder, [])
            self._index.set_hold(holder, None)
        self._collect_layers(released)

    # --- internals -----------------------------------------------------------------------------------

    def _image(self, image_id: str) -> Image:
        config = self._index.configs[image_id]
        size = sum(self._layer_size(d) for d in set(config.get("rootfs", {}).get("diff_ids") or []))
        return Image(image_id, config, self._index.tags_of(image_id), size)

    def _layer_size(self, diff_id: str) -> int:
        if diff_id not in self._layer_sizes:
            self._layer_sizes[diff_id] = self._layers.size(diff_id)
        return self._layer_sizes[diff_id]

    def _resolve_id(self, reference: str) -> str:
        full_id = id_from_digest_text(reference)
        if full_id is not None:
            if full_id in self._index.configs:
                return full_id
            raise NotFound(f"No such image: {full_id}")
        parsed = parse_reference(reference).with_default_tag()
        image_id = self._index.tags.get(parsed.familiar())
        if image_id is not None:
            return image_id
        prefix = reference.removeprefix("sha256:")
        if _HEX.fullmatch(prefix):
            matches = [i for i in self._index.configs if i.removeprefix("sha256:").startswith(prefix)]
            if len(matches) == 1:
                return matches[0]
        raise NotFound(f"No such image: {parsed.familiar()}")

    def _add_layers(self, archive: ImageArchive, image: ImageToLoad, pinned: list[str]) -> None:
        """Add the image's layers not stored yet; each one pinned is appended to `pinned` at once."""
        for layer in image.layers:
            if not self._layers.pin_existing(layer.diff_id):
                with archive.open(layer.member) as blob:
                    self._layers.add(blob, f"load: layer {layer.member}", layer.diff_id)
            pinned.append(layer.diff_id)

    def _commit_loaded(self, images: list[ImageToLoad]) -> list[str]:
        lines = []
        for image in images:
            image_id = self._index.add_config(image.config_bytes, image.config)
            for reference in image.tags:
                tag = reference.familiar()
                previous = self._index.tags.get(tag)
                if previous is not None and previous != image_id:
                    lines.append(
                        f"The image {tag} already exists, renaming the old one with ID {previous} to empty string"
                    )
                self._index.set_tags({tag: image_id})
                lines.append(f"Loaded image: {tag}")
            if not image.tags:
                lines.append(f"Loaded image ID: {image_id}")
        return lines

    def _images_to_save(self, references: Sequence[str]) -> list[ImageToSave]:
        chosen: dict[str, list[ImageReference]] = {}
        for text in references:
            for image_id, tag in self._save_selection(text):
                tags = chosen.setdefault(image_id, [])
                if tag is not None and tag not in tags:
                    tags.append(tag)
        return [
            ImageToSave(image_id, self._index.config_bytes(image_id), self._index.configs[image_id], tags)
            for image_id, tags in chosen.items()
        ]

    def _save_selection(self, text: str) -> list[tuple[str, ImageReference | None]]:
        """As Docker: a bare name saves all its tags, name:tag that tag, an id the image without tags."""
        if id_from_digest_text(text) is None:
            parsed = parse_reference(text)
            if parsed.tag is None and parsed.digest is None:
                same_repo = [parse_reference(t) for t in sorted(self._index.tags)]
                selected = [(self._index.tags[r.familiar()], r) for r in same_repo if r.name == parsed.name]
                if selected:
                    return selected  # type: ignore[return-value]
            elif parsed.familiar() in self._index.tags:
                return [(self._index.tags[parsed.familiar()], parsed)]
        return [(self._resolve_id(text), None)]

    def _release(self, diff_ids: list[str]) -> None:
        """End an operation's pins and drop the layers it added that no image took."""
        self._layers.unpin(diff_ids)
        self._collect_layers(diff_ids)

    def _collect_layers(self, candidates: list[str]) -> list[str]:
        removed, trash = [], []
        with self._lock:
            referenced = self._index.referenced_layers()
            for diff_id in dict.fromkeys(candidates):
                if diff_id in referenced or self._layers.is_pinned(diff_id):
                    continue
                detached = self._layers.detach(diff_id)
                if detached is not None:
                    removed.append(diff_id)
                    trash.append(detached)
                    self._layer_sizes.pop(diff_id, None)
        for path in trash:
            remove_tree(path)  # slow for big layers: outside the lock
        return removed
