"""The dashboard served by waitress (or by cheroot over TLS): the app, its live state and the server bound
together, for `porthole web` and `porthole daemon --web` (both in the command room, porthole/serve/).

Two servers because waitress has no TLS (its docs send HTTPS to a proxy in front); cheroot, CherryPy's server,
has it built in, so a dashboard off loopback can be HTTPS with no proxy to set up."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from waitress.server import create_server

from exporter.watcher import ContainerWatcher
from web import create_app
from web.settings import ListenAddress, ServingOptions
from web.state import EXTENSION, DashboardState
from web.topology.views import EXTENSION as TOPOLOGY

TOKEN_ENV = "PORTHOLE_WEB_TOKEN"


class Dashboard:
    """The app, its live state and its waitress server, bound: serve() serves until close(), from any thread."""

    def __init__(self, server: Any, app: Flask, address: ListenAddress, sockets: dict) -> None:
        self.server = server
        self.app = app
        self.address = address  # the port the server got (a requested port 0 picks a free one)
        self._sockets = sockets  # waitress's socket map: the listener, its trigger and every connection
        self._serving = threading.Event()
        self._closed = threading.Event()

    def serve(self) -> None:
        self._serving.set()
        try:
            self.server.run()
        finally:
            self._serving.clear()

    def close(self) -> None:
        """Closing every socket of the map, open log streams included, ends serve(); closing the listener
        alone would leave it serving the open connections. While it serves, the closing runs in its own
        thread (through waitress's trigger), so no connection accepted meanwhile escapes it."""
        if self._serving.is_set():
            self.server.trigger.pull_trigger(self._close_sockets)
            self._closed.wait(5)
        else:
            self._close_sockets()
        self.server.task_dispatcher.shutdown(timeout=1)
        _close_state(self.app)

    def _close_sockets(self) -> None:
        for dispatcher in list(self._sockets.values()):
            dispatcher.close()
        self._closed.set()


class TlsDashboard:
    """The same app over HTTPS, served by cheroot; serve() serves until close(), from any thread."""

    def __init__(self, server: Any, app: Flask, address: ListenAddress) -> None:
        self.server = server
        self._app = app
        self.address = address

    def serve(self) -> None:
        self.server.serve()

    def close(self) -> None:
        self.server.stop()
        _close_state(self._app)


def _tls_dashboard(app: Flask, options: ServingOptions, threads: int) -> TlsDashboard:
    from cheroot.ssl.builtin import BuiltinSSLAdapter
    from cheroot.wsgi import Server

    server = Server((options.listen.host, options.listen.port), app, numthreads=threads, server_name="porthole")
    server.ssl_adapter = BuiltinSSLAdapter(options.tls.cert, options.tls.key)
    server.prepare()  # binds now: a taken address fails here, as waitress's does
    port = server.socket.getsockname()[1]
    return TlsDashboard(server, app, ListenAddress(options.listen.host, port))


def build_dashboard(
    engine_url: str,
    options: ServingOptions,
    *,
    history_minutes: float = 16,
    threads: int = 16,
    watcher: ContainerWatcher | None = None,
) -> Dashboard | TlsDashboard:
    """The dashboard for `engine_url`, its state started and its socket bound; `server.run()` serves.
    For `porthole web` and for embedding (`porthole daemon --web`, which passes the `watcher` it shares
    with its exporter, and starts and closes it). :raise OSError: the address is taken."""
    app = create_app(
        {
            "ENGINE_URL": engine_url,
            "TOKEN": options.token,
            "CONTROLS": options.controls,
            "HISTORY_SECONDS": history_minutes * 60,
            "WATCHER": watcher,
            "SESSION_COOKIE_SECURE": options.tls is not None,  # over HTTPS, the session never goes out in clear
        }
    )
    if options.tls is not None:
        try:
            return _tls_dashboard(app, options, threads)
        except OSError:
            _close_state(app)
            raise
    sockets: dict = {}
    try:
        server = create_server(
            app, map=sockets, host=options.listen.host, port=options.listen.port, threads=threads, ident="porthole"
        )
    except OSError:
        _close_state(app)
        raise
    return Dashboard(server, app, ListenAddress(options.listen.host, int(server.effective_port)), sockets)


def _close_state(app: Flask) -> None:
    """The map's probe first (it reads the watcher and the sampler's history), then the dashboard's state."""
    app.extensions[TOPOLOGY].close()
    state: DashboardState = app.extensions[EXTENSION]
    state.close()
