"""/containers: create, list, inspect, start, stop, kill, restart, pause, unpause, remove, wait, top."""

import json
from collections.abc import Iterator

from runtime.api import params
from runtime.api.http import Empty, Json, Request, Response, Stream, client_gone
from runtime.api.router import Router
from runtime.api.shapes import containers as shapes
from runtime.api.validation import check_fields, container_create_body
from runtime.engine.daemon import Engine
from runtime.engine.links import remove_link
from runtime.engine.signals import parse_signal
from runtime.errors import NotFound

REF = r"(?P<ref>[^/]+)"
WAIT_POLL = 1.0
# UpdateConfig's fields that porthole applies, with their JSON types
UPDATE = {
    **dict.fromkeys(("BlkioWeight", "CpuShares", "NanoCpus", "CpuPeriod", "CpuQuota"), "integer"),
    **dict.fromkeys(("Memory", "MemorySwap", "MemoryReservation", "PidsLimit"), "integer"),
    **dict.fromkeys(("CpusetCpus", "CpusetMems"), "string"),
    "RestartPolicy": "object",
}  # how often a waiting request looks whether its client went away


def register(router: Router, engine: Engine) -> None:
    containers, lifecycle = engine.containers, engine.lifecycle

    def create(req: Request) -> Response:
        body = container_create_body(req.json_object(required=True))
        created = containers.create(params.text(req, "name") or None, body)
        return Json({"Id": created.container.id, "Warnings": created.warnings}, 201)

    def list_(req: Request) -> Response:
        selected = containers.list(
            all_=params.flag(req, "all"), limit=params.integer(req, "limit", -1) or -1, filters=params.filters(req)
        )
        with_size = params.flag(req, "size")
        rows = []
        for c in selected:
            row = shapes.summary(c, engine.networking(c))
            if with_size:  # omitted when zero, as Docker's omitempty int64 fields are
                row.update(
                    (k, v) for k, v in zip(("SizeRw", "SizeRootFs"), engine.container_sizes(c), strict=True) if v
                )
            rows.append(row)
        return Json(rows)

    def inspect(req: Request, ref: str) -> Response:
        c = containers.get(ref)
        body = shapes.inspect(c, engine.config, engine.networking(c))
        if params.flag(req, "size"):
            body["SizeRw"], body["SizeRootFs"] = engine.container_sizes(c)
        return Json(body)

    def start(req: Request, ref: str) -> Response:
        lifecycle.start(containers.get(ref))
        return Empty()

    def stop(req: Request, ref: str) -> Response:
        c = containers.get(ref)
        signal = params.text(req, "signal")
        lifecycle.stop(c, params.integer(req, "t"), parse_signal(signal) if signal else None)
        return Empty()

    def kill(req: Request, ref: str) -> Response:
        lifecycle.kill(containers.get(ref), parse_signal(params.text(req, "signal")))
        return Empty()

    def restart(req: Request, ref: str) -> Response:
        lifecycle.restart(containers.get(ref), params.integer(req, "t"))
        return Empty()

    def pause(req: Request, ref: str) -> Response:
        lifecycle.pause(containers.get(ref))
        return Empty()

    def unpause(req: Request, ref: str) -> Response:
        lifecycle.unpause(containers.get(ref))
        return Empty()

    def remove(req: Request, ref: str) -> Response:
        lifecycle.remove(containers.get(ref), force=params.flag(req, "force"), volumes=params.flag(req, "v"))
        return Empty()

    def wait(req: Request, ref: str) -> Response:
        c = containers.get(ref)
        condition = lifecycle.watch.condition(c, params.text(req, "condition") or "not-running")

        def result() -> Iterator[bytes]:
            while True:
                code = lifecycle.watch.wait(c, condition, timeout=WAIT_POLL)
                if code is not None:
                    yield json.dumps({"StatusCode": code, "Error": None}).encode() + b"\n"
                    return
                if client_gone(req.handler.connection):
                    return
                yield b""

        return Stream(result())

    def resize(req: Request, ref: str) -> Response:
        size = params.integer(req, "h", 0) or 0, params.integer(req, "w", 0) or 0
        engine.adjustments.resize(containers.get(ref), *size)
        return Empty(200)

    def unlink(req: Request, ref: str, alias: str) -> Response:
        """`docker rm --link /parent/alias` (DELETE /containers/parent/alias?link=1)."""
        if not params.flag(req, "link"):
            raise NotFound(f"No such container: {ref}/{alias}")
        remove_link(containers.get(ref), alias, containers.store)
        return Empty()

    def rename(req: Request, ref: str) -> Response:
        containers.rename(containers.get(ref), params.text(req, "name"))
        return Empty()

    def update(req: Request, ref: str) -> Response:
        body = req.json_object(required=True)
        check_fields(body, UPDATE, "")
        return Json({"Warnings": engine.adjustments.update(containers.get(ref), body)})

    def prune(req: Request) -> Response:
        deleted, reclaimed = engine.housekeeping.prune_containers(params.filters(req))
        return Json({"ContainersDeleted": deleted, "SpaceReclaimed": reclaimed})

    def top(req: Request, ref: str) -> Response:
        return Json(shapes.top(containers.top(containers.get(ref), params.text(req, "ps_args"))))

    router.add("POST", "/containers/create", create)
    router.add("GET", "/containers/json", list_)
    router.add("POST", "/containers/prune", prune)
    router.add("GET", f"/containers/{REF}/json", inspect)
    router.add("POST", f"/containers/{REF}/start", start)
    router.add("POST", f"/containers/{REF}/stop", stop)
    router.add("POST", f"/containers/{REF}/kill", kill)
    router.add("POST", f"/containers/{REF}/restart", restart)
    router.add("POST", f"/containers/{REF}/pause", pause)
    router.add("POST", f"/containers/{REF}/unpause", unpause)
    router.add("DELETE", f"/containers/{REF}", remove)
    router.add("DELETE", r"/containers/+(?P<ref>[^/]+)/(?P<alias>[^/]+)", unlink)
    router.add("POST", f"/containers/{REF}/wait", wait)
    router.add("GET", f"/containers/{REF}/top", top)
    router.add("POST", f"/containers/{REF}/resize", resize)
    router.add("POST", f"/containers/{REF}/rename", rename)
    router.add("POST", f"/containers/{REF}/update", update)
