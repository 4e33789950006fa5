"""The dashboard: a Flask app over the Engine API (docker-py) and the exporter's counter readers.

`create_app(config)` builds it; one blueprint per area: overview (host and container list), container (a
container's page), images (the images, their layers and their builds' step profiles), logs (the log viewer and
its stream), api (JSON), auth (token login), hosts (another host of the cluster's containers), and, with
CONTROLS, controls. The topology map (issue 7) adds a `topology` blueprint to BLUEPRINTS; the navigation links to
it when it is registered."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from web import api, auth, cluster_page, container_page, controls, images_page, logs, overview, state, topology
from web.errors import InvalidOption, UnsafeExposure
from web.formatting import register_filters

BLUEPRINTS = (overview.bp, images_page.bp, container_page.bp, logs.bp, api.bp, auth.bp, topology.bp, cluster_page.bp)

DEFAULTS: dict[str, Any] = {
    "ENGINE_URL": "unix:///run/porthole/porthole.sock",
    "TOKEN": None,  # with a token every request needs a login or a bearer header
    "CONTROLS": False,  # stop, restart, pause: only with a token
    "HISTORY_SECONDS": 960,  # 16 minutes at 1 s: "at least 15 minutes", with a minute to spare
    "SAMPLE_SECONDS": 1.0,
    "STATE": None,  # a prebuilt web.state.DashboardState (tests, benchmarks); else one for ENGINE_URL
    "WATCHER": None,  # the container watcher `porthole daemon` shares with its exporter; else one of its own
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Strict",
}

# No inline script or style anywhere: the pages pass data in data-* attributes. Images: the charts'
# canvases only, and the favicon.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """:raise UnsafeExposure: CONTROLS without a TOKEN."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    # a fresh key per process: sessions end with it, and no default key can leak from a repository
    app.config["SECRET_KEY"] = secrets.token_bytes(32)
    # configuration comes only from the mapping (porthole.serve.web builds it from flags): no environment variable
    # can turn controls on or set the session key behind the operator's back
    if config:
        app.config.update(config)
    if app.config["CONTROLS"] and not app.config["TOKEN"]:
        raise UnsafeExposure("web: refusing CONTROLS without a TOKEN: anyone could stop the containers")
    register_filters(app)
    state.init_app(app)
    auth.init_app(app)
    for blueprint in BLUEPRINTS + ((controls.bp,) if app.config["CONTROLS"] else ()):
        app.register_blueprint(blueprint)
    app.register_error_handler(InvalidOption, _invalid_option)
    app.register_error_handler(HTTPException, _http_error)
    app.after_request(_secure)
    app.context_processor(lambda: {"has_topology": "topology" in app.blueprints})
    return app


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _invalid_option(e: InvalidOption):
    if _wants_json():
        return jsonify(message=str(e)), 400
    return render_template("error.html", code=400, message=str(e)), 400


def _http_error(e: HTTPException):
    code = e.code or 500
    if _wants_json():
        return jsonify(message=e.description), code
    return render_template("error.html", code=code, message=e.description), code


def _secure(response):
    for header, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    return response
