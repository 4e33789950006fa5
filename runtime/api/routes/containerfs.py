"""A container's filesystem: HEAD/GET/PUT /containers/{id}/archive (docker cp), GET /containers/{id}/export,
GET /containers/{id}/changes (docker diff), POST /commit."""

from runtime.api import params
from runtime.api.fsshapes import changes_shape, path_stat_header
from runtime.api.http import Empty, Json, Request, Response, Stream
from runtime.api.router import Router
from runtime.engine.commit import CommitRequest
from runtime.engine.daemon import Engine
from runtime.errors import InvalidParameter
from runtime.images.compression import open_decompressed

REF = r"(?P<ref>[^/]+)"


def _path(req: Request) -> str:
    path = params.text(req, "path")
    if not path:
        raise InvalidParameter("path cannot be empty")
    return path


def register(router: Router, engine: Engine) -> None:
    containers, filesystems, lifecycle = engine.containers, engine.filesystems, engine.lifecycle

    def stat(req: Request, ref: str) -> Response:
        path = _path(req)
        found = filesystems.stat(containers.get(ref), path, ref)
        return Empty(200, [path_stat_header(found)])

    def archive(req: Request, ref: str) -> Response:
        path = _path(req)
        container = containers.get(ref)
        found, chunks = filesystems.archive(container, path, ref)
        lifecycle.event(container, "archive-path")
        return Stream(chunks, "application/x-tar", headers=[path_stat_header(found)])

    def extract(req: Request, ref: str) -> Response:
        path = _path(req)
        container = containers.get(ref)
        filesystems.extract(
            container,
            path,
            ref,
            open_decompressed(req.body()),
            copy_uid_gid=params.flag(req, "copyUIDGID"),
            no_overwrite_dir_non_dir=params.flag(req, "noOverwriteDirNonDir"),
        )
        lifecycle.event(container, "extract-to-dir")
        return Empty(200)

    def export(req: Request, ref: str) -> Response:
        container = containers.get(ref)
        chunks = filesystems.export(container)
        lifecycle.event(container, "export")
        return Stream(chunks, "application/x-tar")

    def changes(req: Request, ref: str) -> Response:
        return Json(changes_shape(filesystems.changes(containers.get(ref))))

    def commit(req: Request) -> Response:
        container = containers.get(params.text(req, "container"))
        repo, tag = params.text(req, "repo"), params.text(req, "tag")
        body = req.json_object()
        request = CommitRequest(
            reference=(f"{repo}:{tag}" if tag else repo) if repo else None,  # as moby, no repo: no tag
            comment=params.text(req, "comment"),
            author=params.text(req, "author"),
            changes=tuple(req.query.get("changes", [])),
            pause=params.flag(req, "pause", default=True),
            config=body or None,
        )
        image, target = engine.committer.commit(container, request)
        if target is not None:  # as moby's commit: the image's tag event, then the container's commit event
            engine.events.publish_image(image, "tag", target)
        lifecycle.event(container, "commit", comment=request.comment, imageID=image.id, imageRef=target or "")
        return Json({"Id": image.id}, 201)

    router.add("HEAD", f"/containers/{REF}/archive", stat)
    router.add("GET", f"/containers/{REF}/archive", archive)
    router.add("PUT", f"/containers/{REF}/archive", extract)
    router.add("GET", f"/containers/{REF}/export", export)
    router.add("GET", f"/containers/{REF}/changes", changes)
    router.add("POST", "/commit", commit)
