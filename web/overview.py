"""The host overview: the machine, the engine, the host's charts and the list of every container."""

from __future__ import annotations

import time

from flask import Blueprint, render_template, request

from web.api import engine_info
from web.errors import InvalidOption
from web.filters import ContainerFilter, parse_filter
from web.listing import SortOrder, container_rows, parse_sort
from web.state import current_state

bp = Blueprint("overview", __name__)


@bp.get("/")
def index():
    """The list is rendered here too (not only by the page's script), so the first paint has it."""
    state = current_state()
    filter_text, sort_text = request.args.get("filter", ""), request.args.get("sort", "name")
    problem = None
    try:
        only, order = parse_filter(filter_text), parse_sort(sort_text)
    except InvalidOption as e:
        problem, only, order = str(e), ContainerFilter(), SortOrder()
    records = state.watcher.records()
    states: dict[str, int] = {}
    for record in records:
        states[record.state] = states.get(record.state, 0) + 1
    return render_template(
        "overview.html",
        rows=container_rows(records, state.history, only, order),
        total=len(records),
        states=sorted(states.items()),
        now=time.time(),
        machine=state.sampler.host,
        engine=engine_info(),
        listing_error=state.watcher.error,
        filter_text=filter_text,
        filter_error=problem,
        order=order,
        interval=state.sampler.interval,
    )
