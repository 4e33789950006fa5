"""The Engine API's routes, assembled from one module per area."""

from runtime.api.router import Router
from runtime.api.routes import (
    build,
    containerfs,
    containers,
    diskusage,
    execs,
    images,
    networks,
    streams,
    system,
    volumes,
)
from runtime.engine.daemon import Engine


def build_router(engine: Engine) -> Router:
    router = Router()
    for area in (system, diskusage, containers, containerfs, streams, execs, images, build, volumes, networks):
        area.register(router, engine)
    return router
