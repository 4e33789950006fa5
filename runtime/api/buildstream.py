"""A build's progress records as the classic builder's JSON stream (what the docker CLI and docker-py read):
`{"stream": "Step 1/7 : FROM busybox"}`, ` ---> <id>`, `Using cache`, `Running in`, the RUN output, `Removing
intermediate container`, `{"aux": {"ID": ...}}`, `Successfully built/tagged`; a failure as errorDetail. Beyond
Docker, each RUN step's cost from its cgroup, on a line of its own after the step."""

import json

from runtime.api.errors import stream_message
from runtime.images.builder import progress as p


def _short(identifier: str) -> str:
    return identifier.removeprefix("sha256:")[:12]


def _stream(text: str) -> bytes:
    return json.dumps({"stream": text}).encode() + b"\n"


def _megabytes(count: int | None) -> str:
    return "n/a" if count is None else f"{count / 1e6:.1f} MB"


def profile_line(cost: p.StepCost) -> str:
    profile = cost.profile
    cpu = "n/a" if profile.cpu_seconds is None else f"{profile.cpu_seconds:.2f} s"
    return (
        f" ---> Step profile: wall {profile.wall_seconds:.2f} s, CPU {cpu}, peak memory "
        f"{_megabytes(profile.peak_memory_bytes)}, written {_megabytes(profile.written_bytes)} "
        f"(layer {_megabytes(cost.layer_bytes)})\n"
    )


def render(record: p.Progress, quiet: bool) -> bytes:
    if isinstance(record, p.Built):
        aux = json.dumps({"aux": {"ID": record.image_id}}).encode() + b"\n"
        if quiet:
            return aux + _stream(record.image_id + "\n")
        return aux + _stream(f"Successfully built {_short(record.image_id)}\n")
    if quiet:
        return b""
    if isinstance(record, p.StepStarted):
        return _stream(f"Step {record.number}/{record.total} : {record.text}") + _stream("\n")
    if isinstance(record, p.StepImage):
        return _stream(f" ---> {_short(record.image_id)}\n")
    if isinstance(record, p.CacheHit):
        return _stream(" ---> Using cache\n")
    if isinstance(record, p.ContainerStarted):
        return _stream(f" ---> Running in {_short(record.container_id)}\n")
    if isinstance(record, p.ContainerRemoved):
        return _stream(f"Removing intermediate container {_short(record.container_id)}\n")
    if isinstance(record, p.Output):
        return _stream(record.data.decode("utf-8", errors="replace"))
    if isinstance(record, p.StepCost):
        return _stream(profile_line(record))
    if isinstance(record, p.Notice):
        return _stream(record.text + "\n")
    if isinstance(record, p.Tagged):
        return _stream(f"Successfully tagged {record.name}\n")
    raise TypeError(f"build stream: no rendering for {type(record).__name__}")


def render_error(error: BaseException) -> bytes:
    message = stream_message(error, "build")
    detail: dict = {"message": message}
    code = getattr(error, "code", None)
    if isinstance(code, int):
        detail["code"] = code
    return json.dumps({"errorDetail": detail, "error": message}).encode() + b"\n"
