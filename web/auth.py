"""Who may look: with a token configured, every page and API call needs a login (a session cookie) or an
`Authorization: Bearer <token>` header; without one the dashboard serves only loopback (web.settings).

Forms that change something carry a per-session CSRF token, and a browser's Origin must be our own:
the session cookie alone (SameSite=Strict besides) never suffices to act. Bearer requests carry no
ambient credential, so they need no CSRF token.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, jsonify, redirect, render_template, request, session, url_for

bp = Blueprint("auth", __name__)

# Endpoints anyone may reach: the login form itself, and the assets it needs.
_OPEN_ENDPOINTS = frozenset({"auth.login", "static"})


# After this many wrong tokens from one address within the window, that address waits out the window.
MAX_FAILED_LOGINS = 5
FAILED_LOGIN_WINDOW = 60.0  # seconds


def init_app(app: Flask) -> None:
    app.extensions["login_failures"] = LoginFailures()
    app.before_request(_check_host)
    app.before_request(_require_login)
    app.context_processor(lambda: {"csrf_token": csrf_token, "login_required": bool(app.config["TOKEN"])})


class LoginFailures:
    """Failed logins per client address, for the throttle: a token of 16+ characters is not guessed online, and
    a guessing script is stopped long before."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._times: dict[str, list[float]] = {}

    def _recent(self, address: str, now: float) -> list[float]:
        times = [t for t in self._times.get(address, []) if now - t < FAILED_LOGIN_WINDOW]
        if times:
            self._times[address] = times
        else:
            self._times.pop(address, None)
        return times

    def wait_seconds(self, address: str) -> float:
        """0 when the address may try; else how long it must wait."""
        now = self._clock()
        with self._lock:
            times = self._recent(address, now)
            return FAILED_LOGIN_WINDOW - (now - times[0]) if len(times) >= MAX_FAILED_LOGINS else 0.0

    def record(self, address: str) -> None:
        with self._lock:
            self._recent(address, self._clock())
            self._times.setdefault(address, []).append(self._clock())


def _check_host():
    """Without a token the dashboard serves loopback only, and so answers only loopback names: a page whose own
    name an attacker's DNS rebinds to 127.0.0.1 sends that name as Host, and would read every container's
    environment and logs (and post forged topology reports) from the victim's browser. Names are never resolved
    here: the attacker's DNS would answer 127.0.0.1."""
    if current_app.config["TOKEN"]:
        return None
    host = request.host.lower()
    name = host[1 : host.find("]")] if host.startswith("[") else host.rsplit(":", 1)[0]
    if name in ("localhost", *current_app.config.get("ALLOWED_HOSTS", ())):
        return None
    try:
        if ipaddress.ip_address(name).is_loopback:
            return None
    except ValueError:
        pass  # a name, not an address: only the ones above pass
    response = jsonify(message=f"web: Host {request.host!r} is not a loopback name of this dashboard")
    response.status_code = 403
    return response


def _safe_next(target: str) -> str:
    """A path on this site, or "/": browsers drop tabs and newlines from a Location and read a backslash as a
    slash, so "/<TAB>/evil.example" would become "//evil.example", another site."""
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return "/"
    return target


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
    target = _safe_next(request.values.get("next") or "/")  # never send a logged-in user to another site
    error = None
    if request.method == "POST":
        failures: LoginFailures = current_app.extensions["login_failures"]
        address = request.remote_addr or "?"
        wait = failures.wait_seconds(address)
        if wait:
            response = jsonify(message=f"web: too many failed logins from {address}: retry in {wait:.0f} s")
            response.status_code = 429
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        if current_app.config["TOKEN"] and _token_matches(request.form.get("token", "")):
            session.clear()
            session["auth"] = True
            session["csrf"] = secrets.token_urlsafe(32)
            return redirect(target, code=303)
        failures.record(address)
        error = "That is not the token this dashboard was started with."
    return render_template("login.html", next=target, error=error), 401 if error else 200


@bp.post("/logout")
def logout():
    check_csrf()
    session.clear()
    return redirect(url_for("auth.login"), code=303)
