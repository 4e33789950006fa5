"""Builders of layer tars and image archives in memory, for the image store tests."""

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field


@dataclass
class Entry:
    name: str
    kind: bytes = tarfile.REGTYPE
    data: bytes = b""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    linkname: str = ""
    devmajor: int = 0
    devminor: int = 0
    mtime: int = 1_600_000_000
    pax: dict = field(default_factory=dict)


def file(name: str, data: bytes = b"", **kwargs) -> Entry:
    return Entry(name, tarfile.REGTYPE, data, **kwargs)


def directory(name: str, mode: int = 0o755, **kwargs) -> Entry:
    return Entry(name, tarfile.DIRTYPE, mode=mode, **kwargs)


def symlink(name: str, target: str) -> Entry:
    return Entry(name, tarfile.SYMTYPE, mode=0o777, linkname=target)


def hardlink(name: str, target: str) -> Entry:
    return Entry(name, tarfile.LNKTYPE, linkname=target)


def chardev(name: str, major: int, minor: int) -> Entry:
    return Entry(name, tarfile.CHRTYPE, mode=0o666, devmajor=major, devminor=minor)


def tar_bytes(entries: list[Entry], tar_format: int = tarfile.PAX_FORMAT) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tar_format) as tar:
        for entry in entries:
            info = tarfile.TarInfo(entry.name)
            info.type, info.mode, info.uid, info.gid = entry.kind, entry.mode, entry.uid, entry.gid
            info.linkname, info.mtime, info.size = entry.linkname, entry.mtime, len(entry.data)
            info.devmajor, info.devminor = entry.devmajor, entry.devminor
            info.pax_headers = dict(entry.pax)
            tar.addfile(info, io.BytesIO(entry.data) if entry.kind == tarfile.REGTYPE else None)
    return buffer.getvalue()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_config(layers: list[bytes], cmd: list[str] | None = None, created: str = "2024-01-02T03:04:05Z") -> bytes:
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {"Cmd": cmd, "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [digest(layer) for layer in layers]},
        "history": [{"created": created, "created_by": f"layer {i}"} for i in range(len(layers))],
    }
    return json.dumps(config).encode()


def archive(members: dict[str, bytes]) -> bytes:
    """An outer archive (`docker save` or OCI layout) holding `members`, in the given order."""
    return tar_bytes([file(name, data) for name, data in members.items()])


def legacy_save_archive(config: bytes, layers: list[bytes], repo_tags: list[str] | None) -> bytes:
    """The Docker ≤ 24 `docker save` layout: manifest.json last, `<id>/layer.tar`, repositories."""
    members: dict[str, bytes] = {}
    layer_paths = []
    for index, layer in enumerate(layers):
        layer_id = hashlib.sha256(f"v1-{index}".encode()).hexdigest()
        members[f"{layer_id}/VERSION"] = b"1.0"
        members[f"{layer_id}/json"] = b"{}"
        members[f"{layer_id}/layer.tar"] = layer
        layer_paths.append(f"{layer_id}/layer.tar")
    config_name = digest(config).removeprefix("sha256:") + ".json"
    members[config_name] = config
    members["repositories"] = b"{}"
    members["manifest.json"] = json.dumps(
        [{"Config": config_name, "RepoTags": repo_tags, "Layers": layer_paths}]
    ).encode()
    return archive(members)


def blob(members: dict[str, bytes], data: bytes) -> dict:
    members["blobs/sha256/" + digest(data).removeprefix("sha256:")] = data
    return {"digest": digest(data), "size": len(data)}


def oci_archive_nested(config: bytes, layers: list[bytes], name: str | None, architecture: str) -> bytes:
    """containerd's export: gzip layers, index.json → nested index (with an attestation) → manifest."""
    members: dict[str, bytes] = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}'}
    layer_descriptors = [
        {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **blob(members, gzip.compress(layer, mtime=0))}
        for layer in layers
    ]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **blob(members, config)},
        "layers": layer_descriptors,
    }
    manifest_descriptor = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        **blob(members, json.dumps(manifest).encode()),
        "platform": {"architecture": architecture, "os": "linux"},
    }
    other_platform = {
        **manifest_descriptor,
        "digest": "sha256:" + "e" * 64,
        "platform": {"architecture": "s390x", "os": "linux"},
    }
    attestation = {
        **manifest_descriptor,
        "digest": "sha256:" + "f" * 64,
        "platform": {"architecture": "unknown", "os": "unknown"},
        "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
    }
    nested = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [other_platform, manifest_descriptor, attestation],
    }
    nested_descriptor = {
        "mediaType": "application/vnd.oci.image.index.v1+json",
        **blob(members, json.dumps(nested).encode()),
    }
    if name:
        nested_descriptor["annotations"] = {
            "io.containerd.image.name": name,
            "org.opencontainers.image.ref.name": "latest",
        }
    members["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [nested_descriptor]}).encode()
    return archive(members)


def oci_layout_of_platforms(directory, tag: str, layers_by_architecture: dict[str, bytes]) -> None:
    """An OCI image layout directory (for `skopeo copy --all oci:DIR:TAG`) whose `tag` is an index of one
    single-layer image per architecture (gzip layers, OCI manifests)."""
    members: dict[str, bytes] = {}
    entries = []
    for architecture, layer in layers_by_architecture.items():
        config = json.loads(image_config([layer], cmd=["cat", "/platform"]))
        config["architecture"] = architecture
        config_bytes = json.dumps(config).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **blob(members, config_bytes)},
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    **blob(members, gzip.compress(layer, mtime=0)),
                }
            ],
        }
        entries.append(
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                **blob(members, json.dumps(manifest).encode()),
                "platform": {"architecture": architecture, "os": "linux"},
            }
        )
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}
    top = {
        "mediaType": "application/vnd.oci.image.index.v1+json",
        **blob(members, json.dumps(index).encode()),
        "annotations": {"org.opencontainers.image.ref.name": tag},
    }
    members["oci-layout"] = b'{"imageLayoutVersion":"1.0.0"}'
    members["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [top]}).encode()
    for name, data in members.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
