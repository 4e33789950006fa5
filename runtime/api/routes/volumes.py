"""/volumes: create, list, inspect, remove, prune."""

from runtime.api import params
from runtime.api.http import Empty, Json, Request, Response
from runtime.api.router import Router
from runtime.api.shapes.volumes import volume as shape
from runtime.api.validation import check_fields
from runtime.engine.daemon import Engine

NAME = r"(?P<name>[^/]+)"
CREATE = {"Name": "string", "Driver": "string", "DriverOpts": "object of strings", "Labels": "object of strings"}


def register(router: Router, engine: Engine) -> None:
    volumes, users = engine.volumes, engine.containers.volume_users

    def create(req: Request) -> Response:
        body = req.json_object()
        check_fields(body, CREATE, "")
        volume = volumes.create(
            body.get("Name") or None,
            driver=body.get("Driver") or "local",
            driver_opts=body.get("DriverOpts"),
            labels=body.get("Labels"),
        )
        return Json(shape(volume, volumes.plugin_view(volume)), 201)

    def list_(req: Request) -> Response:
        selected = volumes.list(params.filters(req), in_use=lambda name: bool(users(name)))
        return Json({"Volumes": [shape(v, volumes.plugin_view(v)) for v in selected], "Warnings": None})

    def inspect(req: Request, name: str) -> Response:
        volume = volumes.get(name)
        return Json(shape(volume, volumes.plugin_view(volume)))

    def remove(req: Request, name: str) -> Response:
        volumes.remove(name, force=params.flag(req, "force"), users=users)
        return Empty()

    def prune(req: Request) -> Response:
        deleted, reclaimed = volumes.prune(params.filters(req), users)
        return Json({"VolumesDeleted": deleted, "SpaceReclaimed": reclaimed})

    router.add("POST", "/volumes/create", create)
    router.add("GET", "/volumes", list_)
    router.add("POST", "/volumes/prune", prune)
    router.add("GET", f"/volumes/{NAME}", inspect)
    router.add("DELETE", f"/volumes/{NAME}", remove)
