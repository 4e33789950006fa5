"""The topology blueprint: the map's page and its JSON API, shaped like Scope's (README: "The topology map").

    GET  /topology                             the map (graph and table views)
    GET  /api/topology                         the topologies: name, url, options, stats
    GET  /api/topology/<id>?q=&<option>=       {"nodes": {ID: NodeSummary}}: narrowed by the options and search
    GET  /api/topology/<id>/<node id>          {"node": detailed node}: found even when a filter hides it
    GET  /api/report                           the newest report of every host
    POST /api/report                           a probe's report (JSON, gzip allowed): how other hosts join
    GET  /api/probes                           who reported, when

Errors are {"message": ...} with 400 (a bad option, search or report), 401 (no login) or 404.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, url_for

from web.state import EXTENSION as STATE_EXTENSION
from web.topology.collector import Collector, LocalProbe
from web.topology.options import OPTIONS, apply_options, parse_options
from web.topology.probe import Probe
from web.topology.render import TOPOLOGIES
from web.topology.report import decode_report, encode_report
from web.topology.search import parse_search
from web.topology.shapes import details, summary

EXTENSION = "topology"
MAX_REPORT_BYTES = 64 * 1024 * 1024  # a report of 500 containers and their processes is about 1 MB

bp = Blueprint(
    "topology", __name__, template_folder="templates", static_folder="static", static_url_path="/topology/static"
)


@dataclass
class TopologyState:
    collector: Collector
    local: LocalProbe | None

    def close(self) -> None:
        if self.local is not None:
            self.local.close()


def init_app(app: Flask) -> TopologyState:
    """The collector, and the app's own probe on the dashboard's watcher and sampler, reporting every
    TOPOLOGY_PROBE_SECONDS. TOPOLOGY_PROBE: None (that probe), False (none: reports only arrive by POST)
    or a prebuilt Probe (tests). An app given a prebuilt STATE (the dashboard's tests, over a fake
    engine and a fake /proc) gets no probe of the real host unless it asks for one."""
    config = app.config
    collector = Collector(
        window=config.get("TOPOLOGY_WINDOW_SECONDS", 15.0), history=config.get("TOPOLOGY_HISTORY_SECONDS", 300.0)
    )
    probe = config.get("TOPOLOGY_PROBE", False if config.get("STATE") is not None else None)
    if probe is None:
        state = app.extensions[STATE_EXTENSION]
        probe = Probe(state.watcher, state.sampler, host_id=config.get("TOPOLOGY_HOST_ID"))
    local = None
    if probe is not False:
        local = LocalProbe(probe, collector, interval=config.get("TOPOLOGY_PROBE_SECONDS", 3.0))
        local.report_once()  # the first page shows a map at once
        if config.get("TOPOLOGY_PROBE_THREAD", True):
            local.start()
    state = app.extensions[EXTENSION] = TopologyState(collector, local)
    return state


bp.record_once(lambda setup: init_app(setup.app))


def current_collector() -> Collector:
    state: Any = current_app.extensions[EXTENSION]
    return state.collector


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), status=status, mimetype="application/json")


def _topology_or_404(topology: str) -> str:
    if topology not in TOPOLOGIES:
        abort(404, description=f"web: no such topology {topology!r}: expected one of {', '.join(TOPOLOGIES)}")
    return topology


@bp.get("/topology")
def index():
    controls = "controls" in current_app.blueprints
    return render_template(
        "topology/map.html",
        topologies=sorted(TOPOLOGIES.values(), key=lambda t: t.rank),
        controls_url=url_for("controls.act", ref="REF", action="ACTION") if controls else "",
        logs_url=url_for("logs.page", ref="REF"),
        container_url=url_for("container.page", ref="REF"),
    )


@bp.get("/api/topology")
def topologies():
    collector = current_collector()
    listed = []
    for spec in sorted(TOPOLOGIES.values(), key=lambda t: t.rank):
        graph = collector.graph(spec.id)
        shown = apply_options(graph, parse_options(spec.id, {}))
        listed.append(
            {
                "id": spec.id,
                "name": spec.name,
                "rank": spec.rank,
                "url": url_for("topology.nodes", topology=spec.id),
                "options": [option.to_json() for option in OPTIONS[spec.id]],
                "stats": {
                    "node_count": len(shown),
                    "nonpseudo_node_count": sum(1 for n in shown if not graph.nodes[n].pseudo),
                    "edge_count": sum(1 for c, s in graph.edges if c in shown and s in shown),
                    "filtered_nodes": len(graph.nodes) - len(shown),
                },
            }
        )
    return json_response(listed)


@bp.get("/api/topology/<topology>")
def nodes(topology: str):
    """:raise 400: for an option or search it cannot parse. :raise 404: no such topology."""
    topology = _topology_or_404(topology)
    chosen = parse_options(topology, request.args)
    search = parse_search(request.args.get("q", ""))
    collector = current_collector()
    graph = collector.graph(topology)
    shown = apply_options(graph, chosen)
    if search.terms:
        shown = {node_id for node_id in shown if search.matches(graph.nodes[node_id])}
    return json_response(
        {
            "nodes": {node_id: summary(graph.nodes[node_id], shown) for node_id in sorted(shown)},
            "generation": collector.generation,
            "options": chosen,
            "search": search.text,
            "total": len(graph.nodes),
        }
    )


@bp.get("/api/topology/<topology>/<path:node_id>")
def node(topology: str, node_id: str):
    """:raise 404: no such topology, or no such node in it (gone since the map was drawn)."""
    topology = _topology_or_404(topology)
    collector = current_collector()
    graph = collector.graph(topology)
    found = graph.nodes.get(node_id)
    if found is None:
        abort(404, description=f"web: no node {node_id!r} in topology {topology}: it is gone from the map")
    children = collector.graph(found.child_topology) if found.child_topology else None
    body = details(graph, found, collector.samples, children, "controls" in current_app.blueprints)
    return json_response({"node": body})


@bp.get("/api/report")
def raw_reports():
    reports = current_collector().reports()
    return Response(b'{"reports":[' + b",".join(encode_report(r) for r in reports) + b"]}", mimetype="application/json")


@bp.post("/api/report")
def ingest():
    """A probe's report. JSON only: a cross-site form cannot send that content type without the browser
    asking first, and a browser's Origin must be ours. :raise 400: a report it cannot read. :raise 403:
    from another site's page. :raise 413: too large."""
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        abort(403, description=f"web: refused a report posted from {origin}: not this app")
    if request.mimetype != "application/json":
        abort(415, description=f"web: a report is application/json, not {request.mimetype or 'untyped'}")
    if (request.content_length or 0) > MAX_REPORT_BYTES:
        abort(413, description=f"web: a report may hold at most {MAX_REPORT_BYTES} bytes")
    data = request.get_data()
    if request.headers.get("Content-Encoding") == "gzip":
        data = _gunzip(data)
    report = decode_report(data)
    current_collector().add(report)
    return json_response({"host": report.host.id, "generation": current_collector().generation})


def _gunzip(data: bytes) -> bytes:
    try:
        inflater = zlib.decompressobj(wbits=31)
        out = inflater.decompress(data, MAX_REPORT_BYTES)
    except zlib.error as e:
        abort(400, description=f"web: invalid report: not gzip: {e}")
    if inflater.unconsumed_tail:
        abort(413, description=f"web: a report may hold at most {MAX_REPORT_BYTES} bytes uncompressed")
    return out


@bp.get("/api/probes")
def probes():
    return json_response({"probes": current_collector().probes(), "window_seconds": current_collector().window})
