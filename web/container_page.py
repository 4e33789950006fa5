"""A page per container: limits, live charts, processes, configuration and events."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, render_template, request

from exporter.engine_api import ENGINE_ERRORS
from web.api import engine_failure
from web.container_details import configuration_rows, cpu_limit_cores, limits_rows
from web.filters import ContainerFilter
from web.listing import SortOrder, container_rows
from web.state import current_state, record_or_404

bp = Blueprint("container", __name__)


@bp.get("/containers/<ref>")
def page(ref: str):
    """`?env=show` reveals the environment's values. :raise 404: no such container. :raise 502: engine failed."""
    record = record_or_404(ref)
    state = current_state()
    try:
        info = state.api.inspect_container(record.id)
    except ENGINE_ERRORS as e:
        engine_failure(e, f"cannot inspect container {record.name}")
    reveal = request.args.get("env") == "show"
    row = container_rows([record], state.history, ContainerFilter(), SortOrder())[0]
    return render_template(
        "container.html",
        record=record,
        row=row,
        now=time.time(),
        limits=limits_rows(info),
        configuration=configuration_rows(info, reveal_env=reveal),
        reveal_env=reveal,
        cpu_limit=cpu_limit_cores(info.get("HostConfig") or {}),
        events=list(reversed(state.watcher.events_of(record.id))),
        controls=current_app.config["CONTROLS"],
        interval=state.sampler.interval,
        history_seconds=state.history.capacity * state.sampler.interval,
    )
