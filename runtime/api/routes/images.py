"""/images: import (create with fromSrc), load, save, list, inspect, history, tag, remove."""

import json
import os
import threading
from collections.abc import Iterator
from fnmatch import fnmatch

from runtime.api import params
from runtime.api.http import Json, Raw, Request, Response, Stream
from runtime.api.router import Router
from runtime.engine.daemon import Engine
from runtime.errors import InvalidParameter, NotFound

NAME = r"(?P<name>.+)"


def _json_lines(*messages: dict) -> Response:
    """A JSON message stream, chunked as Docker sends it: docker-py decodes it one chunk at a time."""
    return Stream(iter([json.dumps(m).encode() + b"\n" for m in messages]))


def _pipe_out(write) -> Iterator[bytes]:
    """Run `write(file)` on a thread and yield what it writes, so a large tar streams without a temp file."""
    r, w = os.pipe2(os.O_CLOEXEC)
    failure: list[BaseException] = []

    def produce() -> None:
        with os.fdopen(w, "wb", buffering=1 << 16) as out:
            try:
                write(out)
            except BaseException as e:  # noqa: BLE001 - reported to the reader below
                failure.append(e)

    threading.Thread(target=produce, name="image-save", daemon=True).start()
    with os.fdopen(r, "rb") as source:
        while chunk := source.read(1 << 16):
            yield chunk
    if failure:
        raise failure[0]


def register(router: Router, engine: Engine) -> None:
    images, events = engine.images, engine.events

    def create(req: Request) -> Response:
        if params.text(req, "fromImage"):
            image = params.text(req, "fromImage")
            raise NotFound(
                f"pull access denied for {image}: porthole reaches no image registry; "
                "use `porthole import` or `porthole load` to add images"
            )
        if params.text(req, "fromSrc") != "-":
            raise InvalidParameter("images/create: fromSrc: only '-' (the request body) is supported")
        repo, tag = params.text(req, "repo"), params.text(req, "tag")
        reference = f"{repo}:{tag}" if repo and tag else repo or None
        image = images.import_rootfs(
            req.body(), reference, changes=req.query.get("changes", []), message=params.text(req, "message")
        )
        events.publish("image", "import", image.id, name=reference or "")
        return _json_lines({"status": image.id})

    def load(req: Request) -> Response:
        lines = images.load(req.body())
        for line in lines:
            events.publish("image", "load", line.rpartition(" ")[2], name=line.rpartition(" ")[2])
        return _json_lines(*({"stream": line + "\n"} for line in lines))

    def save(req: Request, name: str | None = None) -> Response:
        names = [name] if name else req.query.get("names", [])
        images.check_save(names)  # 400 or 404 before the first byte of the tar
        return Stream(_pipe_out(lambda out: images.save(names, out)), "application/x-tar")

    def list_(req: Request) -> Response:
        wanted = params.filters(req)
        rows = [images.summary(i) for i in images.list()]
        if "reference" in wanted:
            # as moby: only the tags that match stay in RepoTags, and images left with none are not listed
            patterns = wanted["reference"]
            for row in rows:
                row["RepoTags"] = [t for t in row["RepoTags"] or [] if any(_ref_matches(t, p) for p in patterns)]
            rows = [row for row in rows if row["RepoTags"]]
        if "dangling" in wanted:
            dangling = wanted["dangling"][0].lower() in ("true", "1")
            rows = [row for row in rows if (not row["RepoTags"]) == dangling]
        if "label" in wanted:
            rows = [row for row in rows if all(_has_label(row.get("Labels") or {}, lbl) for lbl in wanted["label"])]
        return Json(rows)

    def inspect(req: Request, name: str) -> Response:
        return Json(images.inspect(images.resolve(name)))

    def history(req: Request, name: str) -> Response:
        return Json(images.history(name))

    def tag(req: Request, name: str) -> Response:
        image = images.resolve(name)
        repo, tag_ = params.text(req, "repo"), params.text(req, "tag") or None
        images.tag(name, repo, tag_)
        events.publish("image", "tag", image.id, name=f"{repo}:{tag_ or 'latest'}")
        return Raw(b"", status=201)

    def remove(req: Request, name: str) -> Response:
        records = images.remove(name, force=params.flag(req, "force"), in_use_by=engine.image_user)
        for record in records:
            for action, target in record.items():
                events.publish("image", "untag" if action == "Untagged" else "delete", target, name=target)
        return Json(records)

    router.add("POST", "/images/create", create)
    router.add("POST", "/images/load", load)
    router.add("GET", "/images/get", save)
    router.add("GET", "/images/json", list_)
    router.add("GET", f"/images/{NAME}/get", save)
    router.add("GET", f"/images/{NAME}/json", inspect)
    router.add("GET", f"/images/{NAME}/history", history)
    router.add("POST", f"/images/{NAME}/tag", tag)
    router.add("DELETE", f"/images/{NAME}", remove)


def _ref_matches(tag: str, pattern: str) -> bool:
    return fnmatch(tag, pattern) or fnmatch(tag, f"{pattern}:*")


def _has_label(labels: dict, wanted: str) -> bool:
    key, sep, value = wanted.partition("=")
    return key in labels and (not sep or labels[key] == value)
