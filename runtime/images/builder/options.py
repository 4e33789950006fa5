"""A build's options, as `POST /build` takes them (parsed once, in runtime/api/routes/build.py)."""

from dataclasses import dataclass, field

# Build args every Dockerfile may use without declaring them; kept out of the image's history (moby).
PREDEFINED_ARGS = (
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
)


@dataclass(frozen=True)
class BuildOptions:
    tags: tuple[str, ...] = ()
    dockerfile: str = "Dockerfile"
    build_args: dict[str, str | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    target: str = ""
    no_cache: bool = False
    pull: bool = False
    remove: bool = True  # --rm: intermediate containers of successful steps go
    force_remove: bool = False  # --force-rm: those of failed steps too
    quiet: bool = False
    network_mode: str = ""
    extra_hosts: tuple[str, ...] = ()
    resources: dict = field(default_factory=dict)  # HostConfig fields applied to RUN steps
    platform: str = ""
