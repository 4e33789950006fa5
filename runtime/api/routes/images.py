"""/images: import (create with fromSrc), load, save, list, inspect, history, tag, remove."""

import json
import os
import threading
from collections.abc import Iterator
from fnmatch import fnmatch

from common.rfc3339 import unix_seconds
from runtime.api import params
from runtime.api.http import Json, Raw, Request, Response, Stream
from runtime.api.router import Router
from runtime.api.shapes import images as shapes
from runtime.api.transferstream import streamed
from runtime.engine.daemon import Engine
from runtime.errors import EngineError, InvalidParameter, NotImplementedYet
from runtime.images.image import Image
from runtime.images.imageconfig import host_architecture
from runtime.images.reference import parse_repo_and_tag
from runtime.images.registry.transport import Credentials, parse_registry_auth
from runtime.images.removal import Untagged

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
            return pull(req)
        if params.text(req, "fromSrc") != "-":
            raise InvalidParameter("images/create: fromSrc: only '-' (the request body) is supported")
        repo, tag = params.text(req, "repo"), params.text(req, "tag")
        reference = f"{repo}:{tag}" if repo and tag else repo or None
        image = engine.archives.import_rootfs(
            req.body(), reference, changes=req.query.get("changes", []), message=params.text(req, "message")
        )
        if reference:
            events.publish_image(image, "tag", parse_repo_and_tag(reference, None).familiar())
        events.publish_image(image, "import")
        return _json_lines({"status": image.id})

    def load(req: Request) -> Response:
        try:
            loaded = engine.archives.load(req.body())
        except EngineError as e:  # as Docker: the reply is a message stream, and the failure is in it
            return _json_lines({"errorDetail": {"message": e.message}, "error": e.message})
        for image_id in dict.fromkeys(image.image_id for image in loaded):  # one event an image, whatever its names
            events.publish_image(images.resolve(image_id), "load")
        return _json_lines(*({"stream": line + "\n"} for line in shapes.load_lines(loaded)))

    def save(req: Request, name: str | None = None) -> Response:
        names = [name] if name else req.query.get("names", [])
        for image_id in engine.archives.check_save(names):  # 400 or 404 before the first byte of the tar
            events.publish_image(images.resolve(image_id), "save")
        return Stream(_pipe_out(lambda out: engine.archives.save(names, out)), "application/x-tar")

    def list_(req: Request) -> Response:
        wanted = params.filters(req)
        _check_list_filters(wanted)
        listed = images.list()
        if not params.flag(req, "all"):  # a build's intermediate steps only with --all, as in Docker
            listed = [i for i in listed if not images.is_intermediate(i)]
        for reference in wanted.get("before", []):
            pivot = _created(images.resolve(reference))
            listed = [i for i in listed if _created(i) < pivot]
        for reference in wanted.get("since", []):
            pivot = _created(images.resolve(reference))
            listed = [i for i in listed if _created(i) > pivot]
        rows = [shapes.summary(i) for i in listed]
        if "reference" in wanted:
            # as moby: only the tags that match stay in RepoTags, and images left with none are not listed
            patterns = wanted["reference"]
            for row in rows:
                row["RepoTags"] = [t for t in row["RepoTags"] or [] if any(_ref_matches(t, p) for p in patterns)]
            rows = [row for row in rows if row["RepoTags"]]
        if "dangling" in wanted:
            dangling = "true" in wanted["dangling"]
            rows = [row for row in rows if (not row["RepoTags"]) == dangling]
        if "label" in wanted:
            rows = [row for row in rows if all(_has_label(row.get("Labels") or {}, lbl) for lbl in wanted["label"])]
        return Json(rows)

    def prune(req: Request) -> Response:
        removed, reclaimed = engine.housekeeping.prune_images(params.filters(req))
        return Json({"ImagesDeleted": [shapes.removal(r) for r in removed] or None, "SpaceReclaimed": reclaimed})

    def inspect(req: Request, name: str) -> Response:
        image = images.resolve(name)
        return Json(shapes.inspect(image, images.layer_paths(image)))

    def history(req: Request, name: str) -> Response:
        image = images.resolve(name)
        return Json(shapes.history(image, images.layer_sizes(image), images.ancestors(image)))

    def tag(req: Request, name: str) -> Response:
        image = images.resolve(name)
        repo, tag_ = params.text(req, "repo"), params.text(req, "tag") or None
        events.publish_image(image, "tag", images.tag(name, repo, tag_))
        return Raw(b"", status=201)

    def remove(req: Request, name: str) -> Response:
        named = images.resolve(name)  # its labels, for the untag events
        removed = images.remove(name, force=params.flag(req, "force"), in_use_by=engine.image_user)
        for item in removed:
            if isinstance(item, Untagged):
                events.publish_image(named, "untag")
            elif not item.is_layer:  # the image is gone: no labels, as moby's
                events.publish("image", "delete", item.id, name=item.id)
        return Json([shapes.removal(item) for item in removed])

    def pull(req: Request) -> Response:
        name, tag = params.text(req, "fromImage"), params.text(req, "tag")
        platform = params.text(req, "platform")
        if platform and platform not in ("linux", f"linux/{host_architecture()}"):
            raise NotImplementedYet(f"porthole: pull: platform {platform!r}: only linux/{host_architecture()}")
        credentials = parse_registry_auth(req.headers.get("X-Registry-Auth"))

        def work(emit) -> None:
            image = engine.distribution.pull(name, tag, credentials, emit)
            events.publish("image", "pull", image.id, name=f"{name}:{tag or 'latest'}")

        return Stream(streamed(work, "pull"))

    def push(req: Request, name: str) -> Response:
        tag = params.text(req, "tag")
        credentials = parse_registry_auth(req.headers.get("X-Registry-Auth"))
        images.resolve(f"{name}:{tag}" if tag else name)  # 404 before the stream starts, as Docker

        def work(emit) -> None:
            engine.distribution.push(name, tag, credentials, emit)
            events.publish("image", "push", name, name=f"{name}:{tag or 'latest'}")

        return Stream(streamed(work, "push"))

    def build_profile(req: Request, name: str) -> Response:
        """porthole's own: the cost of each step that made the image (empty for images no build here made)."""
        image = images.resolve(name)

        def parent_of(image_id: str):
            return images.resolve(image_id) if images.exists(image_id) else None

        steps = engine.builder.profiles.chain(image, parent_of)
        return Json(
            {
                "Id": image.id,
                "Steps": [
                    {
                        "Image": step.image_id,
                        "CreatedBy": step.created_by,
                        "WallSeconds": step.wall_seconds,
                        "CpuSeconds": step.cpu_seconds,
                        "PeakMemoryBytes": step.peak_memory_bytes,
                        "WrittenBytes": step.written_bytes,
                        "LayerBytes": step.layer_bytes,
                    }
                    for step in steps
                ],
            }
        )

    def distribution(req: Request, name: str) -> Response:
        found = engine.distribution.inspect(name, parse_registry_auth(req.headers.get("X-Registry-Auth")))
        descriptor = found.descriptor
        return Json(
            {
                "Descriptor": {
                    "mediaType": descriptor.media_type,
                    "digest": descriptor.digest,
                    "size": descriptor.size,
                },
                "Platforms": found.platforms,
            }
        )

    def search(req: Request) -> Response:
        raise NotImplementedYet(
            "porthole: search: docker search queries Docker Hub's search API (index.docker.io/v1/search), which "
            "porthole does not reach; Distribution registries have no search (list one with GET /v2/_catalog)"
        )

    def auth(req: Request) -> Response:
        body = req.json_object(required=True)
        credentials = Credentials(
            body.get("username") or "", body.get("password") or "", body.get("identitytoken") or ""
        )
        identity_token = engine.distribution.login(body.get("serveraddress") or "", credentials)
        # moby's AuthenticateOKBody: IdentityToken is omitempty
        return Json({"Status": "Login Succeeded", **({"IdentityToken": identity_token} if identity_token else {})})

    router.add("POST", "/auth", auth)
    router.add("GET", f"/distribution/{NAME}/json", distribution)
    router.add("GET", f"/porthole/images/{NAME}/build-profile", build_profile)
    router.add("GET", "/images/search", search)
    router.add("POST", "/images/create", create)
    router.add("POST", f"/images/{NAME}/push", push)
    router.add("POST", "/images/load", load)
    router.add("POST", "/images/prune", prune)
    router.add("GET", "/images/get", save)
    router.add("GET", "/images/json", list_)
    router.add("GET", f"/images/{NAME}/get", save)
    router.add("GET", f"/images/{NAME}/json", inspect)
    router.add("GET", f"/images/{NAME}/history", history)
    router.add("POST", f"/images/{NAME}/tag", tag)
    router.add("DELETE", f"/images/{NAME}", remove)


LIST_FILTERS = ("before", "dangling", "label", "reference", "since")


def _check_list_filters(wanted: dict[str, list[str]]) -> None:
    """As moby's image list: unknown keys, and a dangling that is neither true nor false, are refused."""
    for key in wanted:
        if key not in LIST_FILTERS:
            raise InvalidParameter(f"Invalid filter '{key}'")
    dangling = wanted.get("dangling", [])
    if dangling and "true" not in dangling and "false" not in dangling:
        raise InvalidParameter(f"Invalid filter 'dangling=[{' '.join(dangling)}]'")


def _created(image: Image) -> float:
    return unix_seconds(image.config.get("created")) or 0.0


def _ref_matches(tag: str, pattern: str) -> bool:
    return fnmatch(tag, pattern) or fnmatch(tag, f"{pattern}:*")


def _has_label(labels: dict, wanted: str) -> bool:
    key, sep, value = wanted.partition("=")
    return key in labels and (not sep or labels[key] == value)
