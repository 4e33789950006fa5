"""GET /system/df: `docker system df` and docker-py's `client.df()`, rendered from the engine's DiskUsage."""

from common.rfc3339 import format_ns
from runtime.api.http import Json, Request, Response
from runtime.api.router import Router
from runtime.api.shapes import containers as container_shapes
from runtime.api.shapes import images as image_shapes
from runtime.api.shapes import volumes as volume_shapes
from runtime.engine.daemon import Engine
from runtime.engine.diskusage import KINDS
from runtime.errors import InvalidParameter
from runtime.images.builder.cacheusage import CacheRecord


def _cache_record(record: CacheRecord) -> dict:
    return {
        "ID": record.id,
        "Parent": record.parent,
        "Parents": [record.parent] if record.parent else None,
        "Type": "regular",
        "Description": record.description,
        "InUse": record.in_use,
        "Shared": record.shared,
        "Size": record.size,
        "CreatedAt": format_ns(record.created_seconds * 1_000_000_000),
        "LastUsedAt": format_ns(record.last_used_ns) if record.last_used_ns else None,
        "UsageCount": record.usage_count,
    }


def register(router: Router, engine: Engine) -> None:
    def df(req: Request) -> Response:
        kinds = tuple(req.query.get("type", [])) or KINDS
        for kind in kinds:
            if kind not in KINDS:
                raise InvalidParameter(f"unknown object type: {kind}")
        usage = engine.disk_usage.report(kinds)
        body: dict = {}
        if usage.images is not None:
            body["LayersSize"] = usage.layers_size
            body["Images"] = [
                {**image_shapes.summary(u.image), "Containers": u.containers, "SharedSize": u.shared_size}
                for u in usage.images
            ]
        if usage.containers is not None:
            body["Containers"] = [
                {
                    **container_shapes.summary(u.container, engine.networking(u.container)),
                    "SizeRw": u.size_rw,
                    "SizeRootFs": u.size_root_fs,
                }
                for u in usage.containers
            ]
        if usage.volumes is not None:
            body["Volumes"] = [
                {**volume_shapes.volume(u.volume), "UsageData": {"Size": u.size, "RefCount": u.ref_count}}
                for u in usage.volumes
            ]
        if usage.build_cache is not None:
            body["BuildCache"] = [_cache_record(r) for r in usage.build_cache]
            body["BuilderSize"] = sum(r.size for r in usage.build_cache)  # deprecated, older CLIs read it
        return Json(body)

    router.add("GET", "/system/df", df)
