"""The Images page: every image the engine stores (tags, id, age, size, layers), and an image's own page with its
layers (the history: each step's command and the bytes it added) and the step profile of the build that made it,
from porthole's build-profile endpoint (an engine without it, such as Docker, shows the layers only).
Everything comes from the Engine API."""

from __future__ import annotations

from typing import Any

import docker
from flask import Blueprint, abort, render_template

from exporter.engine_api import ENGINE_ERRORS
from web.state import current_state

bp = Blueprint("images", __name__)


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def image_rows(summaries: list[dict[str, Any]], layer_counts: dict[str, int]) -> list[dict[str, Any]]:
    """One row per image, newest first; an untagged image shows `<none>` as `docker images` does."""
    rows = [
        {
            "id": s["Id"],
            "short_id": _short(s["Id"]),
            "tags": s.get("RepoTags") or ["<none>:<none>"],
            "created": s.get("Created") or 0,
            "size": s.get("Size") or 0,
            "layers": layer_counts.get(s["Id"]),
        }
        for s in summaries
    ]
    return sorted(rows, key=lambda r: (-r["created"], r["short_id"]))


@bp.get("/images")
def index():
    api = current_state().api
    problem = None
    try:
        summaries = api.images()
        counts = {s["Id"]: len(api.inspect_image(s["Id"])["RootFS"].get("Layers") or []) for s in summaries}
    except ENGINE_ERRORS as e:
        summaries, counts, problem = [], {}, f"web: images: the engine failed: {e}"
    return render_template("images.html", rows=image_rows(summaries, counts), problem=problem)


@bp.get("/images/<path:ref>")
def image(ref: str):
    """:raise 404: when the engine has no such image; :raise 502: when it fails otherwise."""
    api = current_state().api
    try:
        detail = api.inspect_image(ref)
        layers = api.history(ref)
        profile = api.build_profile(ref)
    except docker.errors.NotFound:
        abort(404, description=f"web: no such image {ref!r}")
    except ENGINE_ERRORS as e:
        abort(502, description=f"web: image {ref}: the engine failed: {e}")
    steps = (profile or {}).get("Steps") or []
    return render_template(
        "image.html",
        image=detail,
        short_id=_short(detail["Id"]),
        layers=layers,
        steps=steps,
        profiled=profile is not None,
        total_wall=sum(step.get("WallSeconds") or 0 for step in steps),
    )
