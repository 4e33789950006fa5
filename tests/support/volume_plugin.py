"""A volume plugin written from Docker's plugin protocol specification (docs.docker.com/engine/extend/
plugin_api, plugins_volume), for the tests: `/Plugin.Activate` and `/VolumeDriver.*` as JSON over HTTP POST on a
unix socket in /run/docker/plugins (or behind a spec file). Its volumes are directories under its own root; it
counts mounts per container ID as the specification asks, answers every error in "Err", and records each call,
so a test sees what the daemon asked. `fail` makes a method answer an error."""

from __future__ import annotations

import json
import os
import socketserver
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

PLUGINS_DIR = Path("/run/docker/plugins")


@dataclass
class PluginState:
    root: Path
    volumes: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> Opts
    mounts: dict[str, set[str]] = field(default_factory=dict)  # name -> container IDs
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: dict[str, str] = field(default_factory=dict)  # method -> the Err it answers
    lock: threading.Lock = field(default_factory=threading.Lock)

    def path(self, name: str) -> Path:
        return self.root / name

    def handle(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.calls.append((method, body))
            if method in self.fail:
                return {"Err": self.fail[method]}
            if method == "Plugin.Activate":
                return {"Implements": ["VolumeDriver"]}
            if method == "VolumeDriver.Capabilities":
                return {"Capabilities": {"Scope": "global"}}
            if method == "VolumeDriver.List":
                return {"Volumes": [{"Name": n, "Mountpoint": str(self.path(n))} for n in self.volumes], "Err": ""}
            name = body.get("Name", "")
            if method == "VolumeDriver.Create":
                self.volumes[name] = body.get("Opts") or {}
                self.path(name).mkdir(parents=True, exist_ok=True)
                return {"Err": ""}
            if name not in self.volumes:
                return {"Err": f"no such volume: {name}"}
            if method == "VolumeDriver.Remove":
                if self.mounts.get(name):
                    return {"Err": f"volume {name} is mounted"}
                del self.volumes[name]
                return {"Err": ""}
            if method == "VolumeDriver.Mount":
                self.mounts.setdefault(name, set()).add(body["ID"])
                return {"Mountpoint": str(self.path(name)), "Err": ""}
            if method == "VolumeDriver.Unmount":
                self.mounts.get(name, set()).discard(body["ID"])
                return {"Err": ""}
            if method == "VolumeDriver.Path":
                return {"Mountpoint": str(self.path(name)) if self.mounts.get(name) else "", "Err": ""}
            if method == "VolumeDriver.Get":
                return {"Volume": {"Name": name, "Mountpoint": str(self.path(name)), "Status": {}}, "Err": ""}
            return {"Err": f"unknown method {method}"}

    def called(self, method: str) -> list[dict[str, Any]]:
        with self.lock:
            return [body for m, body in self.calls if m == method]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        answer = json.dumps(self.server.state.handle(self.path.lstrip("/"), body)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.docker.plugins.v1.2+json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        """Quiet: a unix socket's client has no address for the default log line, and the calls are recorded."""


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    state: PluginState


class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    state: PluginState


@dataclass
class RunningPlugin:
    name: str
    state: PluginState
    server: socketserver.BaseServer
    files: list[Path]
    made_dir: Path | None = None  # the plugin directory, when this made it (removed again if left empty)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        for path in self.files:
            path.unlink(missing_ok=True)
        if self.made_dir is not None and not any(self.made_dir.iterdir()):
            self.made_dir.rmdir()


def start_plugin(name: str, root: Path, spec_dir: Path | None = None) -> RunningPlugin:
    """On a unix socket at /run/docker/plugins/NAME.sock; with spec_dir, on 127.0.0.1 behind NAME.spec there."""
    state = PluginState(root)
    root.mkdir(parents=True, exist_ok=True)
    directory = PLUGINS_DIR if spec_dir is None else spec_dir
    made_dir = None if directory.is_dir() else directory
    if spec_dir is None:
        PLUGINS_DIR.mkdir(parents=True, exist_ok=True)
        path = PLUGINS_DIR / f"{name}.sock"
        path.unlink(missing_ok=True)
        server: socketserver.BaseServer = _Server(str(path), _Handler)
        os.chmod(path, 0o600)
        files = [path]
    else:
        server = TcpServer(("127.0.0.1", 0), _Handler)
        spec_dir.mkdir(parents=True, exist_ok=True)
        path = spec_dir / f"{name}.spec"
        path.write_text(f"tcp://127.0.0.1:{server.server_address[1]}\n")
        files = [path]
    server.state = state
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return RunningPlugin(name, state, server, files, made_dir)
