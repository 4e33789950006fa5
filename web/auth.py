"""Who may look: with a token configured, every page and API call needs a login (a session cookie) or an
`Authorization: Bearer <token>` header; without one the dashboard serves only loopback (web.settings).

Forms that change something carry a per-session CSRF token, and a browser's Origin must be our own:
the session cookie alone (SameSite=Strict besides) never suffices to act. Bearer requests carry no
ambient credential, so they need no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, jsonify, redirect, render_template, request, session, url_for

bp = Blueprint("auth", __name__)

# Endpoints anyone may reach: the login form itself, and the assets it needs.
_OPEN_ENDPOINTS = frozenset({"auth.login", "static"})


def init_app(app: Flask) -> None:
    app.before_request(_require_login)
    app.context_processor(lambda: {"csrf_token": csrf_token, "login_required": bool(app.config["TOKEN"])})


def _token_matches(given: str) -> bool:
    token = current_app.config["TOKEN"]
    return hmac.compare_digest(given.encode(), token.encode())


def _require_login():
    if not current_app.config["TOKEN"] or request.endpoint in _OPEN_ENDPOINTS:
        return None
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and given:
        if _token_matches(given):
            g.bearer = True
            return None
        return _refuse("web: invalid bearer token")
    if session.get("auth"):
        return None
    if request.path.startswith("/api/"):
        return _refuse("web: login required: send 'Authorization: Bearer <token>' or log in at /login")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _refuse(message: str):
    response = jsonify(message=message)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="porthole"'
    return response


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """For every form that changes something. :raise 403: without the session's token or from elsewhere."""
    if g.get("bearer"):
        return
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        abort(403, description=f"web: refused a form posted from {origin}: not this dashboard")
    given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        abort(403, description="web: refused a form without this session's CSRF token: reload the page and retry")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The token form; `next` is where to go after, a path on this site only."""
    if not current_app.config["TOKEN"]:
        return redirect("/")
    target = request.values.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # never send a logged-in user to another site
    error = None
    if request.method == "POST":
        if current_app.config["TOKEN"] and _token_matches(request.form.get("token", "")):
            session.clear()
            session["auth"] = True
            session["csrf"] = secrets.token_urlsafe(32)
            return redirect(target, code=303)
        error = "That is not the token this dashboard was started with."
    return render_template("login.html", next=target, error=error), 401 if error else 200


@bp.post("/logout")
def logout():
    check_csrf()
    session.clear()
    return redirect(url_for("auth.login"), code=303)
