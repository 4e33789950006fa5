"""POST /build (the classic builder's API, `version=1`), POST /build/prune.

The build runs on a thread of its own and its records come through a queue: an error before the first
record (a bad Dockerfile, a context that is not a tar) is answered with its status and `{"message"}` as Docker
does; after it, as errorDetail in the stream. A client that goes away cancels the build, and the response
ends only once the build has cleaned up (no container left behind).
"""

import json
import queue
import threading
from collections.abc import Iterator

from runtime.api import params
from runtime.api.buildstream import render, render_error
from runtime.api.http import Json, Request, Response, Stream, client_gone
from runtime.api.router import Router
from runtime.engine.daemon import Engine
from runtime.errors import InvalidParameter, NotImplementedYet
from runtime.images.builder.cacheusage import prune_cache
from runtime.images.builder.options import BuildOptions
from runtime.images.builder.progress import Progress, Tagged
from runtime.images.imageconfig import host_architecture

IDLE_CHECK = 0.5  # how often a build with nothing to say looks whether its client went away
_RESOURCES = {
    "memory": "Memory",
    "memswap": "MemorySwap",
    "cpushares": "CpuShares",
    "cpuperiod": "CpuPeriod",
    "cpuquota": "CpuQuota",
    "shmsize": "ShmSize",
}
_RESOURCE_TEXTS = {"cpusetcpus": "CpusetCpus", "cpusetmems": "CpusetMems"}
_REFUSED = {
    "remote": "a remote build context (URL or git repository)",
    "squash": "--squash",
    "cachefrom": "--cache-from",
    "isolation": "--isolation",
    "cgroupparent": "--cgroup-parent",
    "securityopt": "--security-opt",
    "ulimits": "--ulimit",
    "outputs": "--output",
}
_DONE = object()


def _json_param(req: Request, name: str) -> dict:
    raw = params.text(req, name)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise InvalidParameter(f"build: {name}: not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise InvalidParameter(f"build: {name}: expected a JSON object")
    return value


def build_options(req: Request) -> BuildOptions:
    if params.text(req, "version", "1") == "2":
        raise NotImplementedYet("porthole: build: BuildKit (version=2) is not supported; use DOCKER_BUILDKIT=0")
    for name, what in _REFUSED.items():
        if params.text(req, name) not in ("", "0", "[]", "{}", "null", "false", "default"):
            raise NotImplementedYet(f"porthole: build: {name}: {what} is not supported yet")
    platform = params.text(req, "platform")
    if platform and platform not in ("linux", f"linux/{host_architecture()}"):
        raise NotImplementedYet(f"porthole: build: platform {platform!r}: only linux/{host_architecture()} is built")
    resources: dict = {}
    for name, field in _RESOURCES.items():
        value = params.integer(req, name)
        if value:
            resources[field] = value
    for name, field in _RESOURCE_TEXTS.items():
        if params.text(req, name):
            resources[field] = params.text(req, name)
    network = params.text(req, "networkmode")
    return BuildOptions(
        tags=tuple(t for t in req.query.get("t", []) if t),
        dockerfile=params.text(req, "dockerfile") or "Dockerfile",
        build_args=_json_param(req, "buildargs"),
        labels=_json_param(req, "labels"),
        target=params.text(req, "target"),
        no_cache=params.flag(req, "nocache"),
        pull=params.flag(req, "pull"),
        remove=params.flag(req, "rm", default=True),
        force_remove=params.flag(req, "forcerm"),
        quiet=params.flag(req, "q"),
        network_mode="" if network == "default" else network,
        extra_hosts=tuple(h for h in params.text(req, "extrahosts").split(",") if h),
        resources=resources,
        platform=platform,
    )


def register(router: Router, engine: Engine) -> None:
    builder = engine.builder

    def build(req: Request) -> Response:
        options = build_options(req)
        records: queue.Queue = queue.Queue()
        cancelled = threading.Event()

        def emit(record: Progress) -> None:
            if isinstance(record, Tagged):  # as moby's TagImageWithReference
                image = engine.images.resolve(record.name)
                engine.events.publish_image(image, "tag", record.name)
            records.put(record)

        def work() -> None:
            try:
                builder.build(req.body(), options, emit, cancelled)
            except BaseException as error:  # noqa: BLE001 - handed to the response, which reports it
                records.put(error)
            finally:
                records.put(_DONE)

        worker = threading.Thread(target=work, name="build", daemon=True)
        worker.start()
        first = records.get()
        if isinstance(first, BaseException):
            worker.join()
            raise first
        return Stream(_lines(first, records, worker, cancelled, options.quiet, req))

    def prune(req: Request) -> Response:
        for name in ("filters", "keep-storage", "reserved-space", "max-used-space", "min-free-space"):
            if params.text(req, name) not in ("", "0", "{}"):
                raise NotImplementedYet(f"porthole: builder prune: {name} is not supported: every cached step goes")
        report = prune_cache(builder.cache, engine.images, engine.image_user)
        return Json({"CachesDeleted": report.deleted or None, "SpaceReclaimed": report.reclaimed})

    router.add("POST", "/build", build)
    router.add("POST", "/build/prune", prune)


def _lines(
    first: object,
    records: queue.Queue,
    worker: threading.Thread,
    cancelled: threading.Event,
    quiet: bool,
    req: Request,
) -> Iterator[bytes]:
    record = first
    try:
        while record is not _DONE:
            if isinstance(record, BaseException):
                yield render_error(record)
            elif record is not None:
                yield render(record, quiet)
            try:
                record = records.get(timeout=IDLE_CHECK)
            except queue.Empty:
                if client_gone(req.handler.connection):
                    cancelled.set()
                record = None
    finally:
        if record is not _DONE:  # the client went away (a write failed) or stopped reading
            cancelled.set()
        worker.join()
