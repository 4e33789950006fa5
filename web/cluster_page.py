"""A host of the cluster seen from this dashboard: its running containers, read from its exporter (see
web/remote_host.py), as a page and as JSON. The hosts are the engine's (/info's ClusterHosts)."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, abort, jsonify, render_template

from web.api import engine_info
from web.remote_host import RemoteContainer, RemoteHostError, fetch_containers

bp = Blueprint("hosts", __name__)


def _host(host_id: str) -> dict[str, Any]:
    """:raise 404: for a host the cluster does not have (or an engine outside any cluster)."""
    host = next((h for h in engine_info().get("cluster_hosts") or [] if h.get("ID") == host_id), None)
    if host is None:
        abort(404, description=f"no host {host_id} in the cluster")
    return host


def _containers(host: dict[str, Any]) -> tuple[list[RemoteContainer], str | None]:
    try:
        return fetch_containers(host["Name"], host.get("Metrics") or ""), None
    except RemoteHostError as e:
        return [], str(e)


@bp.get("/hosts/<host_id>")
def page(host_id: str):
    host = _host(host_id)
    rows, problem = _containers(host)
    return render_template("host.html", host=host, rows=rows, problem=problem, now=time.time())


@bp.get("/api/v1/hosts/<host_id>/containers")
def containers(host_id: str):
    host = _host(host_id)
    rows, problem = _containers(host)
    return jsonify(host=host, containers=[r.to_json() for r in rows], error=problem)
