"""The JSON API behind the pages, for scripts too (documented in the README, "The dashboard").

    GET /api/v1/host                              machine, engine and sampler
    GET /api/v1/host/samples?since=|window=        the host's history as columns
    GET /api/v1/containers?filter=&sort=           the container list, with CPU % and memory
    GET /api/v1/containers/<ref>                   one container: the list's fields, limits, latest sample
    GET /api/v1/containers/<ref>/samples?since=|window=
    GET /api/v1/containers/<ref>/processes         `docker top`
    GET /api/v1/containers/<ref>/events            start, die (exit code), oom, restart ... kept in memory

<ref> is an id, a unique id prefix or a name. Errors are {"message": ...} with 400, 401, 404 or 502.
"""

from __future__ import annotations

import math
import time
from typing import Any

import docker
import orjson
from flask import Blueprint, Response, abort, request

from exporter.engine_api import ENGINE_ERRORS
from exporter.records import ContainerRecord
from web.container_details import cpu_limit_cores, limits_rows
from web.errors import InvalidOption
from web.filters import parse_filter
from web.listing import container_rows, parse_sort
from web.sampler import HOST_KEY
from web.state import current_state, record_or_404

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_response(body: Any, status: int = 200) -> Response:
    # orjson: several times faster than the json module on the 200-container list, and NaN-free output
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


def engine_failure(e: Exception, what: str):
    """:raise 404: when the engine says the container is gone; :raise 502: when it fails otherwise."""
    if isinstance(e, docker.errors.NotFound):
        abort(404, description=f"web: {what}: the container is gone")
    abort(502, description=f"web: {what}: the engine failed: {e}")


@bp.get("/host")
def host():
    state = current_state()
    machine, sampler = state.sampler.host, state.sampler
    states: dict[str, int] = {}
    for record in state.watcher.records():
        states[record.state] = states.get(record.state, 0) + 1
    last = state.history.last(HOST_KEY)
    return json_response(
        {
            "engine": engine_info(),
            "cpus": machine.online_cpus,
            "memory_bytes": machine.mem_total,
            "swap_bytes": machine.swap_total,
            "load": [last[-1][1].get(f"load.{n}") for n in (1, 5, 15)] if last else None,
            "containers": {"total": sum(states.values()), "by_state": states},
            "sampler": {
                "interval_seconds": sampler.interval,
                "history_seconds": state.history.capacity * sampler.interval,
                "last_tick_seconds": sampler.last_duration,
                "read_errors": sampler.read_errors.count,
                "last_error": sampler.read_errors.last,
            },
        }
    )


def engine_info() -> dict[str, Any]:
    """The engine's name and version, or why it could not be asked."""
    state = current_state()
    try:
        info = state.api.info()
    except ENGINE_ERRORS as e:
        return {"url": state.engine_url, "error": f"web: cannot reach the engine at {state.engine_url}: {e}"}
    return {
        "url": state.engine_url,
        "name": info.get("Name"),
        "version": info.get("ServerVersion"),
        "os": info.get("OperatingSystem"),
        "kernel": info.get("KernelVersion"),
        "cgroup_version": info.get("CgroupVersion"),
        "cluster_store": info.get("ClusterStore") or None,
        # a porthole cluster's hosts (porthole's own /info field; a Docker engine has none)
        "cluster_hosts": sorted(info.get("ClusterHosts") or [], key=lambda h: h.get("Name", "")),
        "error": None,
    }


@bp.get("/host/samples")
def host_samples():
    return json_response(samples_body(HOST_KEY, None))


@bp.get("/containers")
def containers():
    """:raise 400: for a filter or sort it cannot parse."""
    state = current_state()
    rows = container_rows(
        state.watcher.records(),
        state.history,
        parse_filter(request.args.get("filter", "")),
        parse_sort(request.args.get("sort", "name")),
    )
    now = time.time()
    return json_response(
        {
            "containers": [row.to_json(now) for row in rows],
            "total": len(state.watcher.records()),
            "engine_error": state.watcher.error,
        }
    )


@bp.get("/containers/<ref>")
def container(ref: str):
    record = record_or_404(ref)
    state = current_state()
    try:
        info = state.api.inspect_container(record.id)
    except ENGINE_ERRORS as e:
        engine_failure(e, f"cannot inspect container {record.name}")
    rows = container_rows([record], state.history, parse_filter(""), parse_sort("name"))
    last = state.history.last(record.id)
    body = rows[0].to_json(time.time())
    body["cpu_limit_cores"] = cpu_limit_cores(info.get("HostConfig") or {})
    body["limits"] = dict(limits_rows(info))
    body["latest"] = {"t": last[-1][0], "columns": last[-1][1]} if last else None
    return json_response(body)


@bp.get("/containers/<ref>/samples")
def samples(ref: str):
    record = record_or_404(ref)
    return json_response(samples_body(record.id, record))


def samples_body(key: str, record: ContainerRecord | None) -> dict[str, Any]:
    """:raise 400: for a since or window that is not a number."""
    state = current_state()
    window = state.history.window(key, _since())
    return {
        "id": key,
        "pid": record.pid if record is not None else 1,
        "state": record.state if record is not None else "running",
        "interval_seconds": state.sampler.interval,
        "t": window.t,
        "columns": window.columns,
    }


def _since() -> float:
    """`since` (unix seconds, exclusive) wins over `window` (seconds back from now); default: everything."""
    for name in ("since", "window"):
        text = request.args.get(name)
        if text is None:
            continue
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise InvalidOption(f"web: invalid {name} {text!r}: expected a number of seconds")
        return value if name == "since" else time.time() - value
    return -math.inf


@bp.get("/containers/<ref>/processes")
def processes(ref: str):
    """A container that is not running has no processes: an empty list and a note, not an error (the
    page asks while a container restarts)."""
    record = record_or_404(ref)
    if not record.live:
        return json_response({"titles": [], "processes": [], "note": f"{record.name} is {record.state}"})
    try:
        top = current_state().api.top(record.id)
    except docker.errors.APIError as e:
        if e.status_code != 409:  # 409: it stopped since it was inspected
            engine_failure(e, f"cannot list the processes of {record.name}")
        return json_response({"titles": [], "processes": [], "note": f"{record.name} is not running"})
    except ENGINE_ERRORS as e:
        engine_failure(e, f"cannot list the processes of {record.name}")
    return json_response({"titles": top.get("Titles") or [], "processes": top.get("Processes") or [], "note": None})


@bp.get("/containers/<ref>/events")
def events(ref: str):
    record = record_or_404(ref)
    kept = current_state().watcher.events_of(record.id)
    return json_response({"events": [{"time": e.time, "action": e.action, "detail": e.detail} for e in reversed(kept)]})
