"""The Elasticsearch the tests ship to, and a proxy that injects what it cannot be made to do.

No real Elasticsearch can be installed on these machines. The tests run noida-db (PyPI `noida-db`, a single
binary that answers the Elasticsearch 8.15 REST API; its authors pass 1,735 of the 1,786 official REST API
tests), on a free loopback port with a data directory of the test's own. What it does not do, and what the
tests therefore check otherwise:
- no security: any credentials are accepted, so FaultProxy answers 401 as Elasticsearch does;
- no data streams: `_data_stream` is unknown, a data stream name is a plain index, and an `index` action or a
  document without @timestamp is not refused there (the driver's requests are checked on the wire instead:
  test_elasticsearch_driver's bulk bodies hold only `create` actions, each document with @timestamp);
- it never answers 429 or 5xx, so FaultProxy does, for whole requests or single bulk items;
- it saves its data a moment after acknowledging it: killed with SIGKILL it loses the last writes, which a
  real Elasticsearch (translog fsynced before the answer) does not; an outage is therefore a SIGTERM.
tests/unit/logdrivers/test_elasticsearch_server.py checks that it behaves as Elasticsearch on the points the
driver relies on.
"""

import base64
import http.client
import json
import signal
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import noida_db
from elasticsearch import Elasticsearch

from tests.support.waiting import wait_for

NOIDA = Path(noida_db.__file__).with_name("noida-db")  # the binary itself: its pid is the server's
PRODUCT_HEADER = "X-Elastic-Product"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ElasticsearchServer:
    """noida-db's Elasticsearch alone, on 127.0.0.1:<port>, its data in `data_dir`."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir.parent / f"noida-{self.port}.log", "ab") as log:
            self.process = subprocess.Popen(
                [str(NOIDA), "start", "--data-dir", str(self.data_dir), "--only", "elasticsearch",
                 "--elasticsearch-port", str(self.port)],
                stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        wait_for(self._answers, 20, what=f"noida-db on port {self.port}")

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"noida-db exited with {self.process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """A clean stop (SIGTERM): what it acknowledged is on disk."""
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def client(self) -> Elasticsearch:
        return Elasticsearch(self.url, request_timeout=30)

    def __enter__(self) -> "ElasticsearchServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class FaultProxy:
    """An HTTP proxy to `upstream` that can answer in its place: 401 without the right Basic credentials,
    whole-request failures, and per-document statuses inside bulk answers. It keeps the bulk bodies it was
    sent and counts the documents it forwarded."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.credentials: tuple[str, str] | None = None
        self.fail_requests: list[int] = []  # statuses for the next whole requests, in order
        self.fail_items: list[int] = []  # statuses for the next bulk documents, in order
        self.bulk_documents = 0
        self.bulk_bodies: list[bytes] = []
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                return

            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy.lock:
                    status = proxy.fail_requests.pop(0) if proxy.fail_requests else None
                if self.path.split("?")[0].endswith("/_bulk"):
                    with proxy.lock:
                        proxy.bulk_bodies.append(body)
                if proxy.credentials is not None and not self._authorized():
                    return self._error(401, "security_exception", "unable to authenticate user for REST request")
                if status is not None:
                    return self._error(status, "unavailable", "injected by FaultProxy")
                if self.path.split("?")[0].endswith("/_bulk") and proxy.fail_items:
                    return self._bulk_with_faults(body)
                if self.path.split("?")[0].endswith("/_bulk"):
                    with proxy.lock:
                        proxy.bulk_documents += body.count(b"\n") // 2
                self._relay(*self._forward(body))

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _any

            def _authorized(self) -> bool:
                user, password = proxy.credentials
                expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
                return self.headers.get("Authorization") == expected

            def _forward(self, body: bytes, path: str | None = None):
                connection = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                connection.request(self.command, path or self.path, body=body or None, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
                connection.close()
                return answer.status, answer.getheaders(), data

            def _relay(self, status, headers, data):
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _error(self, status: int, kind: str, reason: str):
                error = {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason}
                data = json.dumps({"error": error, "status": status}).encode()
                headers = [("Content-Type", "application/json"), (PRODUCT_HEADER, "Elasticsearch")]
                if status == 401:
                    headers.append(("WWW-Authenticate", 'Basic realm="security" charset="UTF-8"'))
                self._relay(status, headers, data)

            def _bulk_with_faults(self, body: bytes):
                lines = body.splitlines(keepends=True)
                pairs = [lines[i : i + 2] for i in range(0, len(lines), 2)]
                with proxy.lock:
                    statuses = [proxy.fail_items.pop(0) if proxy.fail_items else None for _ in pairs]
                passed = [pair for pair, status in zip(pairs, statuses, strict=True) if status is None]
                forwarded = iter([])
                headers = [("Content-Type", "application/json"), (PRODUCT_HEADER, "Elasticsearch")]
                if passed:
                    _, headers, data = self._forward(b"".join(b"".join(p) for p in passed))
                    forwarded = iter(json.loads(data).get("items", []))
                    with proxy.lock:
                        proxy.bulk_documents += len(passed)
                items = []
                for status in statuses:
                    if status is None:
                        items.append(next(forwarded))
                    else:
                        error = {"type": "es_rejected_execution_exception", "reason": "injected by FaultProxy"}
                        items.append({"create": {"status": status, "error": error}})
                data = json.dumps({"errors": True, "items": items}).encode()
                self._relay(200, [(k, v) for k, v in headers if k.lower() != "content-encoding"], data)

        return Handler
