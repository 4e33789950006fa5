"""The image store: record, tag, remove and resolve images over content-addressed layers (`docker import`,
`load` and `save` are archives.py, over this store's public calls).

Layout under the data root: `images/` (configs by id, tags, layer holds), `layers/sha256/<hex>/` (trees by
diff_id, shared between images), `tmp/` (uploads and extractions in progress; emptied at start-up).
One lock guards the index; slow extraction runs outside it and commits with a rename (see layerstore).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from common import rfc3339
from runtime.images.image import Image
from runtime.images.imageconfig import canonical_json, created_seconds
from runtime.images.imageindex import ImageIndex
from runtime.images.layers import ExtractedLayer
from runtime.images.layerstore import LayerStore, TreeTarSource, remove_tree
from runtime.images.loader import ImageToLoad
from runtime.images.lookup import images_to_save, resolve_id
from runtime.images.mergedview import copy_merged_directory
from runtime.images.reference import parse_repo_and_tag
from runtime.images.removal import Deleted, ImageUser, Removal, remove_references
from runtime.images.save import ImageToSave

__all__ = ["Image", "ImageStore", "ImageUser", "LoadedImage"]


@dataclass(frozen=True, slots=True)
class LoadedImage:
    """One image a `docker load` added, under one of its names (or none)."""

    image_id: str
    tag: str | None = None  # None: the archive named no tag for it
    replaced: str | None = None  # the image the tag named before, which loses it


class ImageStore:
    def __init__(self, data_root: Path) -> None:
        self._lock = threading.RLock()
        self.tmp = data_root / "tmp"  # uploads and extractions in progress (archives spool loads here)
        self._index = ImageIndex(data_root)
        self._layers = LayerStore(data_root, self._lock)
        self._layer_sizes: dict[str, int] = {}
        self._layers.clear_tmp()
        self._collect_layers(self._layers.all_diff_ids())  # orphans of an operation a crash interrupted

    # --- reading -------------------------------------------------------------------------------------

    def list(self) -> list[Image]:
        """Every image, newest first; in the same second, images built on others before them (so removing in
        this order never meets an image that still has children)."""
        with self._lock:
            images = [self._image(image_id) for image_id in self._index.configs]
            depths = {i.id: self._depth(i.id) for i in images}
        return sorted(images, key=lambda i: (-created_seconds(i.config.get("created")), -depths[i.id], i.id))

    def resolve(self, reference: str) -> Image:
        """By name[:tag], `sha256:<hex>`, 64-hex id or unique id prefix; NotFound("No such image: …")."""
        with self._lock:
            return self._image(resolve_id(self._index, reference))

    def layer_sizes(self, image: Image) -> dict[str, int]:
        """Bytes of each of the image's layers, by diff_id (what `docker history` shows per layer)."""
        with self._lock:
            return {d: self._layer_size(d) for d in image.diff_ids}

    def ancestors(self, image: Image) -> list[Image]:
        """The images of its parent chain (a build's steps) that are still stored, nearest first."""
        with self._lock:
            found = []
            parent = image.parent
            while parent and parent in self._index.configs:
                found.append(self._image(parent))
                parent = found[-1].parent
            return found

    def exists(self, image_id: str) -> bool:
        with self._lock:
            return image_id in self._index.configs

    def has_children(self, image: Image) -> bool:
        with self._lock:
            return self._index.has_children(image.id)

    def layer_size(self, diff_id: str) -> int:
        """Bytes of the layer's regular file content."""
        with self._lock:
            return self._layer_size(diff_id)

    def layers_size(self) -> int:
        """Bytes of every layer an image or a container holds (`docker system df`'s LayersSize)."""
        every = {d for image in self.list() for d in image.diff_ids} | self.held_layers()
        return sum(self.layer_size(d) for d in every)

    def held_layers(self) -> set[str]:
        """Layers containers hold (their image may be gone)."""
        with self._lock:
            return {d for diff_ids in self._index.holds.values() for d in diff_ids}

    def is_intermediate(self, image: Image) -> bool:
        """A build step's image that a later step built on: `docker images` lists it only with --all."""
        with self._lock:
            return not image.repo_tags and self._index.has_children(image.id)

    def layer_paths(self, image: Image) -> list[Path]:
        """The extracted layer trees, base first (reverse them for overlayfs lowerdir)."""
        return [self._layers.tree(diff_id) for diff_id in image.diff_ids]

    def copy_out(self, image: Image, path_in_image: str, dest: Path) -> None:
        """Copy the image's merged directory `path_in_image` into `dest` (nothing if it is absent)."""
        copy_merged_directory(self.layer_paths(image), path_in_image, dest)

    # --- writing -------------------------------------------------------------------------------------

    def add_layer(
        self, stream: BinaryIO, what: str, expected_diff_id: str | None = None
    ) -> tuple[ExtractedLayer, Callable[[], None]]:
        """Extract a layer tar (a build step's changes, a pulled blob) into the store: the layer, and the call
        that ends its pin (after an image that uses it was recorded, or on failure, which drops the layer)."""
        extracted = self._layers.add(stream, what, expected_diff_id)
        return extracted, lambda: self._release([extracted.diff_id])

    def adopt_layer(self, tree: Path, what: str, write_tar: TreeTarSource) -> tuple[ExtractedLayer, Callable[[], None]]:
        """Move a directory a step filled into the store as a layer (LayerStore.adopt); pinned as add_layer's."""
        extracted = self._layers.adopt(tree, what, write_tar)
        return extracted, lambda: self._release([extracted.diff_id])

    def pin_layer(self, diff_id: str) -> Callable[[], None] | None:
        """Keep a stored layer while an operation that skips its blob records its image; None if it is absent."""
        if not self._layers.pin_existing(diff_id):
            return None
        return lambda: self._release([diff_id])

    def record_loaded(self, images: list[ImageToLoad]) -> list[LoadedImage]:
        """Record the images of a `docker load` (their layers added and pinned): one entry per name."""
        with self._lock:
            return self._commit_loaded(images)

    def pin_for_save(self, references: Sequence[str]) -> tuple[list[ImageToSave], Callable[[], None]]:
        """The images `docker save` names (a bare name: all its tags), their layers pinned until the call."""
        with self._lock:
            images = images_to_save(self._index, references)
            wanted = [d for image in images for d in image.config["rootfs"]["diff_ids"]]
            pinned = [d for d in wanted if self._layers.pin_existing(d)]
        return images, lambda: self._release(pinned)

    def has_layer(self, diff_id: str) -> bool:
        return self._layers.exists(diff_id)

    def add_pulled(self, config_bytes: bytes, config: dict, tag: str | None, repo_digest: str) -> Image:
        """Record a pulled image (its layers added): the config's exact bytes, the tag, `name@digest`."""
        with self._lock:
            image_id = self._index.add_config(config_bytes, config)
            if tag is not None:
                self._index.set_tags({tag: image_id})
            self._index.set_digest(repo_digest, image_id)
            return self._image(image_id)

    def record_digest(self, image: Image, repo_digest: str) -> None:
        with self._lock:
            self._index.set_digest(repo_digest, image.id)

    def open_layer_tar(self, diff_id: str):
        """The layer's tar, byte for byte as it was added (push compresses it)."""
        return self._layers.open_tar(diff_id)

    def layer_tar_size(self, diff_id: str) -> int:
        return self._layers.tar_size(diff_id)

    def config_bytes(self, image: Image) -> bytes:
        with self._lock:
            return self._index.config_bytes(image.id)

    def create_image(self, config: dict, parent: str | None, tags: Sequence[str] = ()) -> Image:
        """Record a config made here (a build step's, a commit's, an import's; its layers added and pinned
        already); `parent` is the image it was made on; `tags` point at it at once."""
        targets = [parse_repo_and_tag(tag, None).familiar() for tag in tags]
        with self._lock:
            image_id = self._index.add_config(canonical_json(config), config)
            if parent and image_id != parent and self._index.parents.get(image_id) != parent:
                self._index.set_parent(image_id, parent)
            if targets:
                self._set_tags(dict.fromkeys(targets, image_id))
            return self._image(image_id)

    def set_tags(self, image: Image, references: Sequence[str]) -> list[str]:
        """Point every `name[:tag]` at the image; returns them in their familiar form."""
        targets = [parse_repo_and_tag(reference, None).familiar() for reference in references]
        with self._lock:
            self._set_tags(dict.fromkeys(targets, image.id))
        return targets

    def tag(self, reference: str, repo: str, tag: str | None) -> str:
        """`docker tag`: the new name, in its familiar form."""
        target = parse_repo_and_tag(repo, tag).familiar()
        with self._lock:
            self._set_tags({target: resolve_id(self._index, reference)})
        return target

    def remove(self, reference: str, *, force: bool, in_use_by: Callable[[str], ImageUser | None]) -> list[Removal]:
        """`docker rmi`: the names untagged, then the image deleted (if it was), then its layers no image uses.

        `in_use_by(image_id)` is called without the store's lock held, so it may take the engine's locks.
        """
        while True:
            with self._lock:
                image_id = resolve_id(self._index, reference)
            user = in_use_by(image_id)
            with self._lock:
                if resolve_id(self._index, reference) != image_id:
                    continue  # retagged meanwhile: ask again about the image the name now means
                records, delete = remove_references(self._index, image_id, reference, force, user)
                if not delete:
                    return records
                candidates = list(self._index.configs[image_id]["rootfs"]["diff_ids"])
                parent = self._index.parents.get(image_id)
                self._index.remove_config(image_id)
                records.append(Deleted(image_id))
                break
        while parent is not None and in_use_by(parent) is None:
            # as moby's imageDeleteHelper: the build steps below go too while untagged and built on by no other
            with self._lock:
                if parent not in self._index.configs or self._index.tags_of(parent) or self._index.has_children(parent):
                    break
                candidates += self._index.configs[parent]["rootfs"]["diff_ids"]
                next_parent = self._index.parents.get(parent)
                self._index.remove_config(parent)
                records.append(Deleted(parent))
                parent = next_parent
        return records + [Deleted(diff_id, is_layer=True) for diff_id in self._collect_layers(candidates)]

    def hold_layers(self, holder: str, image: Image) -> None:
        """Keep `image`'s layers while `holder` (a container id) uses them, even if the image is removed."""
        with self._lock:
            self._index.set_hold(holder, image.diff_ids)

    def keep_holds(self, holders: Mapping[str, Sequence[str]]) -> None:
        """At start: exactly the holds of the containers that exist (holder -> the layer trees it uses). A crash
        can lose a release (whose layers were then kept for ever, even on a full disk that deferred it) or a
        hold, so they are rebuilt from the containers."""
        with self._lock:
            holds = {h: [self._layers.diff_id_of(Path(tree)) for tree in trees] for h, trees in holders.items()}
            if {h: set(d) for h, d in holds.items()} == {h: set(d) for h, d in self._index.holds.items()}:
                return
            released = [d for h, diff_ids in self._index.holds.items() if h not in holds for d in diff_ids]
            self._index.set_holds(holds)
        self._collect_layers(released)

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
        return Image(
            image_id,
            config,
            self._index.tags_of(image_id),
            size,
            self._index.parents.get(image_id, ""),
            self._index.digests_of(image_id),
            self._index.last_tagged.get(image_id, ""),
        )

    def _set_tags(self, tags: dict[str, str]) -> None:
        """Tags a user gave (tag, build -t, import, commit): the images' LastTagTime is now, as moby's
        TagImageWithReference (a load or a pull names images without it)."""
        self._index.set_tags(dict(tags))
        self._index.set_last_tagged(set(tags.values()), rfc3339.now())

    def _depth(self, image_id: str) -> int:
        """How many stored images its parent chain holds."""
        depth = 0
        while (image_id := self._index.parents.get(image_id, "")) in self._index.configs:
            depth += 1
        return depth

    def _layer_size(self, diff_id: str) -> int:
        if diff_id not in self._layer_sizes:
            self._layer_sizes[diff_id] = self._layers.size(diff_id)
        return self._layer_sizes[diff_id]

    def _commit_loaded(self, images: list[ImageToLoad]) -> list[LoadedImage]:
        loaded = []
        for image in images:
            image_id = self._index.add_config(image.config_bytes, image.config)
            for reference in image.tags:
                tag = reference.familiar()
                previous = self._index.tags.get(tag)
                self._index.set_tags({tag: image_id})
                loaded.append(LoadedImage(image_id, tag, previous if previous not in (None, image_id) else None))
            if not image.tags:
                loaded.append(LoadedImage(image_id))
        return loaded

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
