"""`docker save`: the archive Docker ≥ 25 writes, an OCI image layout plus `manifest.json` and
`repositories`, so that Docker's own `load` (either image store) and ours accept it.

Layers are written uncompressed, rebuilt byte for byte from tar-split data, so their digests are the
diff_ids of the config and the image id survives a save/load round trip.
"""

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from runtime.errors import HostError
from runtime.images.imageconfig import canonical_json, diff_ids
from runtime.images.ocilayout import CONTAINERD_NAME, OCI_REF_NAME
from runtime.images.readers import HashingReader, Readable
from runtime.images.reference import ImageReference

INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar"


@dataclass(frozen=True, slots=True)
class ImageToSave:
    image_id: str
    config_bytes: bytes
    config: dict
    tags: list[ImageReference]


class LayerSource(Protocol):
    """What the writer needs from the layer store."""

    def tar_size(self, diff_id: str) -> int:
        """Length of the layer's original tar."""

    def open_tar(self, diff_id: str) -> Readable:
        """A reader of the layer's original tar bytes."""


def _blob_name(digest: str) -> str:
    return "blobs/sha256/" + digest.removeprefix("sha256:")


def _descriptor(media_type: str, digest: str, size: int) -> dict:
    return {"mediaType": media_type, "digest": digest, "size": size}


class _ArchiveWriter:
    def __init__(self, out: BinaryIO, layers: LayerSource) -> None:
        self._tar = tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT)  # type: ignore[call-overload]
        self._layers = layers
        self._written: set[str] = set()
        for directory in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            self._tar.addfile(info)

    def add_bytes(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        self._tar.addfile(info, io.BytesIO(data))

    def add_blob(self, digest: str, data: bytes) -> None:
        if digest not in self._written:
            self._written.add(digest)
            self.add_bytes(_blob_name(digest), data)

    def add_layer(self, diff_id: str) -> int:
        size = self._layers.tar_size(diff_id)
        if diff_id in self._written:
            return size
        self._written.add(diff_id)
        info = tarfile.TarInfo(_blob_name(diff_id))
        info.size, info.mode = size, 0o644
        hashing = HashingReader(self._layers.open_tar(diff_id))
        self._tar.addfile(info, hashing)
        if hashing.digest != diff_id:
            raise HostError(f"images: save: layer {diff_id}: rebuilt tar has digest {hashing.digest}: store corrupt")
        return size

    def close(self) -> None:
        self._tar.close()


def write_archive(out: BinaryIO, images: list[ImageToSave], layers: LayerSource) -> None:
    writer = _ArchiveWriter(out, layers)
    index_entries: list[dict] = []
    docker_manifest: list[dict] = []
    repositories: dict[str, dict[str, str]] = {}
    for image in images:
        writer.add_blob(image.image_id, image.config_bytes)
        layer_descriptors = [
            _descriptor(LAYER_MEDIA_TYPE, diff_id, writer.add_layer(diff_id)) for diff_id in diff_ids(image.config)
        ]
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": _descriptor(CONFIG_MEDIA_TYPE, image.image_id, len(image.config_bytes)),
            "layers": layer_descriptors,
        }
        manifest_bytes = canonical_json(manifest)
        manifest_digest = "sha256:" + hashlib.sha256(manifest_bytes).hexdigest()
        writer.add_blob(manifest_digest, manifest_bytes)
        base = _descriptor(MANIFEST_MEDIA_TYPE, manifest_digest, len(manifest_bytes))
        for tag in image.tags:
            annotations = {CONTAINERD_NAME: tag.full(), OCI_REF_NAME: tag.tag or "latest"}
            index_entries.append({**base, "annotations": annotations})
            top = diff_ids(image.config)[-1].removeprefix("sha256:") if diff_ids(image.config) else ""
            repositories.setdefault(tag.familiar_name, {})[tag.tag or "latest"] = top
        if not image.tags:
            index_entries.append(base)
        docker_manifest.append(
            {
                "Config": _blob_name(image.image_id),
                "RepoTags": [tag.familiar() for tag in image.tags] or None,
                "Layers": [_blob_name(d["digest"]) for d in layer_descriptors],
            }
        )
    index = {"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": index_entries}
    writer.add_bytes("index.json", canonical_json(index))
    writer.add_bytes("manifest.json", canonical_json(docker_manifest))
    if repositories:
        writer.add_bytes("repositories", json.dumps(repositories).encode())
    writer.add_bytes("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    writer.close()
