"""The host overview: the machine, the engine, the host's charts and the list of every container."""

from __future__ import annotations

import time

from flask import Blueprint, render_template, request

from web.api import engine_info
from web.errors import InvalidOption
from web.filters import ContainerFilter, parse_filter
from web.listing import SortOrder, container_rows, parse_sort
from web.monitor import current_monitor

bp = Blueprint("overview", __name__)


@bp.get("/")
def index():
    """The list is rendered here too (not only by the page's script), so the first paint has it."""
    monitor = current_monitor()
    filter_text, sort_text = request.args.get("filter", ""), request.args.get("sort", "name")
    problem = None
    try:
        only, order = parse_filter(filter_text), parse_sort(sort_text)
    except InvalidOption as e:
        problem, only, order = str(e), ContainerFilter(), SortOrder()
    records = monitor.inventory.records()
    states: dict[str, int] = {}
    for record in records:
        states[record.state] = states.get(record.state, 0) + 1
    return render_template(
        "overview.html",
        rows=container_rows(records, monitor.history, only, order),
        total=len(records),
        states=sorted(states.items()),
        now=time.time(),
        machine=monitor.sampler.host,
        engine=engine_info(),
        inventory_error=monitor.inventory.error,
        filter_text=filter_text,
        filter_error=problem,
        order=order,
        interval=monitor.sampler.interval,
    )
