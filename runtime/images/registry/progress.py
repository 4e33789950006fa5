"""What a pull or push reports, as typed records; runtime/api renders them into Docker's JSON messages."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LayerStatus:
    id: str  # the blob's short digest (12 hex), or the tag for the first line
    status: str  # "Pulling fs layer", "Downloading", "Pull complete", "Pushing", "Layer already exists", ...
    current: int | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class StatusLine:
    text: str  # "Digest: sha256:...", "Status: Downloaded newer image for ...", "1: digest: ... size: N"


@dataclass(frozen=True, slots=True)
class PushResult:
    tag: str
    digest: str
    size: int


@dataclass(frozen=True, slots=True)
class WireBytes:
    """Bytes of a layer blob just received or sent, as they cross the wire (compressed): what the registry
    metrics count, the same way for pulls and pushes. Never rendered (the progress bars show Docker's units)."""

    count: int


TransferProgress = LayerStatus | StatusLine | PushResult | WireBytes
