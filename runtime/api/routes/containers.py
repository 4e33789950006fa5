"""/containers: create, list, inspect, start, stop, kill, restart, pause, unpause, remove, wait, top."""

import json
from collections.abc import Iterator

from runtime.api import params, shapes
from runtime.api.http import Empty, Json, Request, Response, Stream, client_gone
from runtime.api.router import Router
from runtime.api.validation import container_create_body
from runtime.engine.daemon import Engine
from runtime.engine.signals import parse_signal

REF = r"(?P<ref>[^/]+)"
WAIT_POLL = 1.0  # how often a waiting request looks whether its client went away


def register(router: Router, engine: Engine) -> None:
    containers, lifecycle = engine.containers, engine.lifecycle

    def create(req: Request) -> Response:
        body = container_create_body(req.json_object(required=True))
        container = containers.create(params.text(req, "name") or None, body)
        return Json({"Id": container.id, "Warnings": []}, 201)

    def list_(req: Request) -> Response:
        selected = containers.list(
            all_=params.flag(req, "all"), limit=params.integer(req, "limit", -1) or -1, filters=params.filters(req)
        )
        with_size = params.flag(req, "size")
        rows = []
        for c in selected:
            row = shapes.summary(c, engine.ports_summary(c), engine.network_settings(c)["Networks"])
            if with_size:  # omitted when zero, as Docker's omitempty int64 fields are
                row.update(
                    (k, v) for k, v in zip(("SizeRw", "SizeRootFs"), engine.container_sizes(c), strict=True) if v
                )
            rows.append(row)
        return Json(rows)

    def inspect(req: Request, ref: str) -> Response:
        c = containers.get(ref)
        body = shapes.inspect(c, engine.config, engine.network_settings(c))
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

    def top(req: Request, ref: str) -> Response:
        return Json(containers.top(containers.get(ref), params.text(req, "ps_args")))

    router.add("POST", "/containers/create", create)
    router.add("GET", "/containers/json", list_)
    router.add("GET", f"/containers/{REF}/json", inspect)
    router.add("POST", f"/containers/{REF}/start", start)
    router.add("POST", f"/containers/{REF}/stop", stop)
    router.add("POST", f"/containers/{REF}/kill", kill)
    router.add("POST", f"/containers/{REF}/restart", restart)
    router.add("POST", f"/containers/{REF}/pause", pause)
    router.add("POST", f"/containers/{REF}/unpause", unpause)
    router.add("DELETE", f"/containers/{REF}", remove)
    router.add("POST", f"/containers/{REF}/wait", wait)
    router.add("GET", f"/containers/{REF}/top", top)
