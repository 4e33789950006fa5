"""Walking an OCI image layout (opencontainers/image-spec image-layout.md) down to image manifests.

`index.json` lists manifests or nested indexes (multi-platform images, containerd's export). From an index
we take the manifest for linux and the host's architecture, skipping attestation manifests. The image's
names come from the `io.containerd.image.name` annotation (a full reference) or from
`org.opencontainers.image.ref.name` when that is a full reference rather than a bare tag.
"""

import re
from dataclasses import dataclass

from runtime.errors import InvalidParameter
from runtime.images.archive import ImageArchive
from runtime.images.reference import ImageReference, parse_reference

INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json")
CONTAINERD_NAME = "io.containerd.image.name"
OCI_REF_NAME = "org.opencontainers.image.ref.name"
_DOCKER_REFERENCE_TYPE = "vnd.docker.reference.type"
_DIGEST = re.compile(r"sha256:([a-f0-9]{64})")
_MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class FoundManifest:
    config_member: str
    layer_members: list[str]
    names: list[ImageReference]


def blob_member(where: str, descriptor: object) -> str:
    """The archive path of a descriptor's blob; the digest is checked so it cannot name another path."""
    digest = descriptor.get("digest") if isinstance(descriptor, dict) else None
    match = _DIGEST.fullmatch(digest) if isinstance(digest, str) else None
    if match is None:
        raise InvalidParameter(f"images: load: {where}: descriptor digest {digest!r} is not sha256:<64 hex>")
    return f"blobs/sha256/{match.group(1)}"


def _names(descriptor: dict) -> list[ImageReference]:
    annotations = descriptor.get("annotations") or {}
    full = annotations.get(CONTAINERD_NAME)
    if isinstance(full, str) and full:
        return [parse_reference(full).with_default_tag()]
    ref_name = annotations.get(OCI_REF_NAME)
    if isinstance(ref_name, str) and ("/" in ref_name or ":" in ref_name):
        return [parse_reference(ref_name).with_default_tag()]
    return []


def _is_attestation(descriptor: dict) -> bool:
    annotations = descriptor.get("annotations") or {}
    platform = descriptor.get("platform") or {}
    return annotations.get(_DOCKER_REFERENCE_TYPE) == "attestation-manifest" or platform.get("os") == "unknown"


def _pick_platform(where: str, children: list, architecture: str) -> list[dict]:
    candidates = [c for c in children if isinstance(c, dict) and not _is_attestation(c)]
    with_platform = [c for c in candidates if c.get("platform")]
    if len(with_platform) < len(candidates):
        return candidates  # an index of images (not of platforms): take them all
    matching = [
        c
        for c in with_platform
        if c["platform"].get("os") == "linux" and c["platform"].get("architecture") == architecture
    ]
    if not matching:
        raise InvalidParameter(f"images: load: {where}: no manifest for linux/{architecture}")
    return matching[:1]


class _Walker:
    def __init__(self, archive: ImageArchive, architecture: str) -> None:
        self._archive = archive
        self._architecture = architecture
        self.found: list[FoundManifest] = []

    def walk(self, descriptor: dict, names: list[ImageReference], depth: int) -> None:
        member = blob_member("index.json", descriptor)
        if depth > _MAX_DEPTH:
            raise InvalidParameter(f"images: load: {member}: indexes nested more than {_MAX_DEPTH} deep")
        document = self._archive.read_json(member)
        if not isinstance(document, dict):
            raise InvalidParameter(f"images: load: {member}: not a JSON object")
        media_type = descriptor.get("mediaType") or document.get("mediaType")
        names = _names(descriptor) or names
        if media_type in INDEX_TYPES or (media_type is None and "manifests" in document):
            children = document.get("manifests")
            if not isinstance(children, list):
                raise InvalidParameter(f"images: load: {member}: index without a manifests list")
            for child in _pick_platform(member, children, self._architecture):
                self.walk(child, names, depth + 1)
            return
        if media_type not in MANIFEST_TYPES and "layers" not in document:
            raise InvalidParameter(f"images: load: {member}: unsupported media type {media_type!r}")
        layers = document.get("layers")
        if not isinstance(layers, list):
            raise InvalidParameter(f"images: load: {member}: manifest without a layers list")
        config_member = blob_member(member, document.get("config"))
        layer_members = [blob_member(member, layer) for layer in layers]
        self.found.append(FoundManifest(config_member, layer_members, names))


def oci_manifests(archive: ImageArchive, architecture: str) -> list[FoundManifest]:
    """Every image manifest `index.json` leads to for linux/`architecture`, with the names it gives."""
    index = archive.read_json("index.json")
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(manifests, list):
        raise InvalidParameter("images: load: index.json: expected an object with a manifests list")
    walker = _Walker(archive, architecture)
    for descriptor in manifests:
        if isinstance(descriptor, dict) and not _is_attestation(descriptor):
            walker.walk(descriptor, [], 0)
    return walker.found
