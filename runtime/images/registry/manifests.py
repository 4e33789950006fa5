"""Manifests a pull reads: Docker v2 schema 2, OCI image manifests, and the lists/indexes that hold one per
platform (the host's is chosen); schema 1 is refused with a clear error (Docker dropped it too)."""

import json
from dataclasses import dataclass

from runtime.errors import InvalidParameter, NotFound
from runtime.images.imageconfig import host_architecture

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
ACCEPT = ", ".join((DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX))


@dataclass(frozen=True, slots=True)
class Descriptor:
    media_type: str
    digest: str
    size: int

    @classmethod
    def from_json(cls, raw: dict) -> "Descriptor":
        try:
            return cls(raw.get("mediaType", ""), raw["digest"], int(raw["size"]))
        except (KeyError, TypeError, ValueError):
            raise InvalidParameter(f"registry: manifest: a descriptor lacks digest or size: {raw!r}") from None


@dataclass(frozen=True, slots=True)
class ImageManifest:
    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]


def _document(data: bytes, what: str) -> dict:
    try:
        document = json.loads(data)
    except ValueError as error:
        raise InvalidParameter(f"registry: {what}: not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise InvalidParameter(f"registry: {what}: not a JSON object")
    return document


def media_type_of(data: bytes, header: str) -> str:
    document = _document(data, "manifest")
    if document.get("schemaVersion") == 1 or header in SCHEMA1:
        raise InvalidParameter(
            "registry: manifest: Docker Image manifest version 2, schema 1 is not supported: push the image again "
            "with a current client (schema 2 or OCI)"
        )
    return document.get("mediaType") or header.split(";")[0].strip()


def is_index(media_type: str) -> bool:
    return media_type in (DOCKER_LIST, OCI_INDEX)


_PLATFORM_FIELDS = ("architecture", "os", "os.version", "os.features", "variant")


def index_platforms(data: bytes) -> list[dict]:
    """The platform of each entry of a list/index, as OCI's Platform (empty fields left out)."""
    entries = _document(data, "index").get("manifests") or []
    return [{k: v for k, v in (e.get("platform") or {}).items() if k in _PLATFORM_FIELDS and v} for e in entries]


def config_platform(config: dict) -> list[dict]:
    """An image config's platform, as moby's distribution inspect reads it (none when it names neither)."""
    platform = {k: config[k] for k in _PLATFORM_FIELDS if config.get(k)}
    return [platform] if platform.get("os") or platform.get("architecture") else []


def choose_platform(data: bytes, reference: str) -> Descriptor:
    """The entry of a list/index for linux on this machine's architecture."""
    wanted = host_architecture()
    for entry in _document(data, "index").get("manifests") or []:
        platform = entry.get("platform") or {}
        if platform.get("os") == "linux" and platform.get("architecture") == wanted:
            return Descriptor.from_json(entry)
    raise NotFound(f"no matching manifest for linux/{wanted} in the manifest list entries of {reference}")


def image_manifest(data: bytes, media_type: str) -> ImageManifest:
    document = _document(data, "manifest")
    if "config" not in document or "layers" not in document:
        raise InvalidParameter(f"registry: manifest: {media_type or 'unknown type'} without config and layers")
    layers = tuple(Descriptor.from_json(layer) for layer in document["layers"])
    return ImageManifest(media_type, Descriptor.from_json(document["config"]), layers)


def docker_manifest(config: Descriptor, layers: list[Descriptor]) -> bytes:
    """The v2 schema 2 manifest a push writes (compact JSON, as its digest is of these bytes)."""
    document = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "size": config.size, "digest": config.digest},
        "layers": [{"mediaType": DOCKER_LAYER, "size": layer.size, "digest": layer.digest} for layer in layers],
    }
    return json.dumps(document, indent=3).encode()
