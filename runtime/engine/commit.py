"""`docker commit`: a container's writable layer becomes an image on top of the container's image (moby's
CreateImageFromContainer and image.NewChildImage).

The run config is the one the request carries (or the container's when it carries none), with `--change` lines
applied, then completed from the container's (moby's merge). A running container is frozen while its upper
directory is read, unless the client asks not to pause. A container that changed nothing gets an empty layer
in the history and no new diff_id, as Docker records it.
"""

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass

from common.rfc3339 import format_ns
from runtime.engine.config import DaemonConfig
from runtime.engine.launch import Layout
from runtime.engine.lifecycle import Lifecycle
from runtime.engine.model import RUNNING, Container
from runtime.engine.namespace_modes import owners_seen_by
from runtime.images.changes import apply_changes
from runtime.images.image import Image
from runtime.images.reference import parse_repo_and_tag
from runtime.images.store import ImageStore
from runtime.images.upperchanges import upper_changes
from runtime.images.upperdiff import MOUNT_PLACEHOLDERS, PipedWriter, write_upper_tar

# Docker's container.Config fields: what an image's "config" and "container_config" hold.
CONFIG_FIELDS = (
    "Hostname",
    "Domainname",
    "User",
    "AttachStdin",
    "AttachStdout",
    "AttachStderr",
    "ExposedPorts",
    "Tty",
    "OpenStdin",
    "StdinOnce",
    "Env",
    "Cmd",
    "Healthcheck",
    "ArgsEscaped",
    "Image",
    "Volumes",
    "WorkingDir",
    "Entrypoint",
    "NetworkDisabled",
    "OnBuild",
    "Labels",
    "StopSignal",
    "StopTimeout",
    "Shell",
)
_HEALTHCHECK_FIELDS = ("Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries")


@dataclass(frozen=True, slots=True)
class CommitRequest:
    reference: str | None  # repo[:tag], None for an untagged image
    comment: str = ""
    author: str = ""
    changes: Sequence[str] = ()
    pause: bool = True
    config: dict | None = None  # the request's Config; None: the container's


def container_config(container: Container) -> dict:
    """The container's Config as Docker keeps it (the create request merged with the image's)."""
    return {key: copy.deepcopy(container.config[key]) for key in CONFIG_FIELDS if key in container.config}


def merge_config(user: dict, base: dict) -> dict:
    """moby's daemon/commit.go merge: `user`'s unset fields come from `base`; env, ports, labels, volumes add up."""
    merged = copy.deepcopy(user)
    for key in ("User", "WorkingDir", "StopSignal"):
        if not merged.get(key):
            merged[key] = base.get(key) or ""
    merged["ExposedPorts"] = {**(base.get("ExposedPorts") or {}), **(merged.get("ExposedPorts") or {})} or None
    names = {item.partition("=")[0] for item in merged.get("Env") or []}
    merged["Env"] = [
        *(merged.get("Env") or []),
        *(e for e in base.get("Env") or [] if e.partition("=")[0] not in names),
    ]
    merged["Labels"] = {**(base.get("Labels") or {}), **(merged.get("Labels") or {})}
    if not merged.get("Entrypoint"):
        if not merged.get("Cmd"):
            merged["Cmd"] = base.get("Cmd")
        if merged.get("Entrypoint") is None:
            merged["Entrypoint"] = base.get("Entrypoint")
    if base.get("Healthcheck"):
        check = dict(merged.get("Healthcheck") or {})
        for key in _HEALTHCHECK_FIELDS:
            if not check.get(key) and base["Healthcheck"].get(key):
                check[key] = base["Healthcheck"][key]
        merged["Healthcheck"] = check
    merged["Volumes"] = {**(merged.get("Volumes") or {}), **(base.get("Volumes") or {})} or None
    return merged


def child_config(parent: dict, run_config: dict, container: Container, request: CommitRequest, diff_id: str | None):
    """The committed image's config (moby's image.NewChildImage)."""
    created = format_ns(time.time_ns())
    entry: dict = {"created": created, "created_by": " ".join(container.config.get("Cmd") or [])}
    if request.author:
        entry["author"] = request.author
    if request.comment:
        entry["comment"] = request.comment
    diff_ids = list((parent.get("rootfs") or {}).get("diff_ids") or [])
    if diff_id is None:
        entry["empty_layer"] = True
    else:
        diff_ids.append(diff_id)
    config = {
        "architecture": parent.get("architecture", ""),
        **({"variant": parent["variant"]} if parent.get("variant") else {}),
        "os": parent.get("os", "linux"),
        "config": run_config,
        "container": container.id,
        "container_config": container_config(container),
        "created": created,
        "history": [*(parent.get("history") or []), entry],
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    if request.author:
        config["author"] = request.author
    return config


class Committer:
    def __init__(self, config: DaemonConfig, images: ImageStore, lifecycle: Lifecycle) -> None:
        self._config = config
        self._images = images
        self._lifecycle = lifecycle

    def commit(self, container: Container, request: CommitRequest) -> tuple[Image, str | None]:
        """The new image, and the name it was tagged with (None without a reference)."""
        target = parse_repo_and_tag(request.reference, None).familiar() if request.reference else None
        base = container_config(container)
        run_config = merge_config(apply_changes(request.config or base, request.changes), base)
        parent = self._images.resolve(container.image_id)  # its layers are held; the record may be gone (404)
        paused = request.pause and container.state.status == RUNNING
        if paused:
            self._lifecycle.pause(container)
        try:
            diff_id, release = self._layer(container)
        finally:
            if paused:
                self._lifecycle.unpause(container)
        try:
            image = self._images.create_image(
                child_config(parent.config, run_config, container, request, diff_id), parent.id
            )
            if target is not None:
                self._images.set_tags(image, [target])
        finally:
            release()
        return image, target

    def _layer(self, container: Container):
        """The container's changes as a layer in the store (None when it changed nothing) and its pin's end."""
        upper = Layout(self._config, container.id).directory / "fs" / "upper"
        lowers = list(reversed(container.layers))
        owners = owners_seen_by(container.host_config, self._config.userns_remap)
        if not upper.is_dir() or not upper_changes(str(upper), lowers, MOUNT_PLACEHOLDERS, owners):
            return None, lambda: None
        writer = PipedWriter(
            lambda out: write_upper_tar(str(upper), out, MOUNT_PLACEHOLDERS, owners=owners), "commit-layer"
        )
        try:
            extracted, release = self._images.add_layer(writer.reader, f"commit: container {container.short_id}")
        finally:
            writer.close()
        return extracted.diff_id, release
