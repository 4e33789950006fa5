"""What an archive given to `docker load` holds: images (config bytes, layer members, tags).

Two layouts (see reference/runtime.md §5): the `docker save` one with `manifest.json` (Docker ≤ 24, and
kept beside the OCI layout by Docker ≥ 25 and containerd), preferred when present; otherwise an OCI image
layout (`oci-layout`, `index.json`, `blobs/sha256/…`), walking nested indexes down to the host's platform.
"""

import hashlib
import re
from dataclasses import dataclass, field

from runtime.errors import InvalidParameter
from runtime.images.archive import ImageArchive
from runtime.images.imageconfig import host_architecture
from runtime.images.ocilayout import oci_manifests
from runtime.images.reference import ImageReference, parse_reference

_DIFF_ID = re.compile(r"sha256:[a-f0-9]{64}")


def _invalid(where: str, why: str) -> InvalidParameter:
    return InvalidParameter(f"images: load: {where}: {why}")


@dataclass(frozen=True, slots=True)
class LayerSource:
    member: str  # archive member holding the (possibly compressed) layer tar
    diff_id: str  # what its uncompressed sha256 must be


@dataclass(slots=True)
class ImageToLoad:
    config_bytes: bytes
    config: dict
    layers: list[LayerSource]
    tags: list[ImageReference] = field(default_factory=list)

    @property
    def image_id(self) -> str:
        return f"sha256:{hashlib.sha256(self.config_bytes).hexdigest()}"


def _image(archive: ImageArchive, config_member: str, layer_members: list[str]) -> ImageToLoad:
    config_bytes = archive.read_bytes(config_member)
    config = archive.read_json(config_member)
    if not isinstance(config, dict):
        raise _invalid(config_member, "the image config is not a JSON object")
    rootfs = config.get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(diff_ids, list) or not all(isinstance(d, str) and _DIFF_ID.fullmatch(d) for d in diff_ids):
        raise _invalid(config_member, "rootfs.diff_ids must be a list of sha256:<64 hex> digests")
    if len(diff_ids) != len(layer_members):
        raise _invalid(
            config_member, f"the config names {len(diff_ids)} layers but the manifest lists {len(layer_members)}"
        )
    layers = [LayerSource(m, d) for m, d in zip(layer_members, diff_ids, strict=True)]
    return ImageToLoad(config_bytes, config, layers)


def _docker_manifest_images(archive: ImageArchive) -> list[ImageToLoad]:
    manifest = archive.read_json("manifest.json")
    if not isinstance(manifest, list):
        raise _invalid("manifest.json", "expected a JSON list of images")
    images = []
    for position, entry in enumerate(manifest):
        where = f"manifest.json entry {position}"
        if not isinstance(entry, dict) or not isinstance(entry.get("Config"), str):
            raise _invalid(where, "missing Config")
        layers = entry.get("Layers") or []
        if not isinstance(layers, list) or not all(isinstance(layer, str) for layer in layers):
            raise _invalid(where, "Layers must be a list of archive paths")
        image = _image(archive, entry["Config"], layers)
        for tag in entry.get("RepoTags") or []:
            if not isinstance(tag, str):
                raise _invalid(where, f"RepoTags entry {tag!r} is not a string")
            image.tags.append(parse_reference(tag).with_default_tag())
        images.append(image)
    return images


def _oci_images(archive: ImageArchive) -> list[ImageToLoad]:
    images = []
    for found in oci_manifests(archive, host_architecture()):
        image = _image(archive, found.config_member, found.layer_members)
        image.tags.extend(found.names)
        images.append(image)
    return images


def _merge_same_images(images: list[ImageToLoad]) -> list[ImageToLoad]:
    """An index lists one manifest per tag; load each image once, with all its tags."""
    merged: dict[str, ImageToLoad] = {}
    for image in images:
        kept = merged.setdefault(image.image_id, image)
        if kept is not image:
            kept.tags.extend(tag for tag in image.tags if tag not in kept.tags)
    return list(merged.values())


def images_in_archive(archive: ImageArchive) -> list[ImageToLoad]:
    if archive.has("manifest.json"):
        images = _docker_manifest_images(archive)
    elif archive.has("index.json"):
        images = _oci_images(archive)
    else:
        raise InvalidParameter(
            "images: load: archive: neither manifest.json nor index.json found: not a docker save or OCI archive"
        )
    if not images:
        raise InvalidParameter("images: load: archive: it holds no image")
    return _merge_same_images(images)
