"""Stop, restart, pause and unpause: registered only with --enable-controls, which needs a token; every
form carries the session's CSRF token (web.auth)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for

from exporter.engine_api import ENGINE_ERRORS
from web.auth import check_csrf
from web.state import current_state, record_or_404

bp = Blueprint("controls", __name__)

ACTIONS = ("stop", "restart", "pause", "unpause")


@bp.post("/containers/<ref>/<action>")
def act(ref: str, action: str):
    """:raise 403: no CSRF token. :raise 404: no such container or action."""
    if action not in ACTIONS:
        abort(404, description=f"web: unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
    check_csrf()
    record = record_or_404(ref)
    state = current_state()
    if state.controls is None:
        abort(404, description="web: this engine client cannot act on containers")
    try:
        getattr(state.controls, action)(record.id)
    except ENGINE_ERRORS as e:
        flash(f"web: cannot {action} container {record.name}: {e}", "error")
    else:
        flash(f"{action}: {record.name}", "info")
        state.watcher.stale(record.id)
    return redirect(url_for("container.page", ref=record.name or record.id), code=303)
