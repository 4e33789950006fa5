"""The image record the store hands out."""

from dataclasses import dataclass, field

from runtime.images.imageconfig import diff_ids


@dataclass
class Image:
    id: str  # "sha256:<64hex>", the sha256 of the config bytes exactly as stored
    config: dict  # the full image config (architecture, os, created, config{…}, rootfs, history)
    repo_tags: list[str] = field(default_factory=list)  # familiar form, e.g. ["busybox:latest"]
    size: int = 0  # bytes of all layers' regular file content
    parent: str = ""  # the image a build step made this one from ("" for imported, loaded, pulled)
    repo_digests: list[str] = field(default_factory=list)  # `name@sha256:...` of the manifests pulled or pushed
    last_tag_time: str = ""  # RFC 3339, when it was last tagged here ("" never: pulled, loaded, untagged)

    @property
    def short_id(self) -> str:
        """The 12 hex characters Docker prints."""
        return self.id.removeprefix("sha256:")[:12]

    @property
    def diff_ids(self) -> list[str]:
        return diff_ids(self.config)

    @property
    def container_config(self) -> dict:
        """The image's run defaults (Env, Cmd, Entrypoint, WorkingDir, User, Volumes, ...)."""
        return self.config.get("config") or {}


NO_IMAGE = Image("", {})  # what a container of no image stands on (a build step FROM scratch): no layers, no config
