"""MetricsServer: what it serves, and the errors of a bad or busy --listen."""

import socket
import urllib.error
import urllib.request

import pytest

from exporter.errors import InvalidOption
from exporter.exposition import CONTENT_TYPE
from exporter.server import MetricsServer, parse_listen

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.mark.parametrize(
    "text, address",
    [
        ("127.0.0.1:9338", ("127.0.0.1", 9338)),
        (":9338", ("0.0.0.0", 9338)),
        ("[::1]:80", ("::1", 80)),
        ("localhost:0", ("localhost", 0)),
    ],
)
def test_parse_listen(text, address):
    assert parse_listen(text) == address


@pytest.mark.parametrize("text", ["9338", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:70000"])
def test_parse_listen_refuses(text):
    with pytest.raises(InvalidOption) as e:
        parse_listen(text, "--metrics-addr", "porthole daemon")
    assert str(e.value) == (
        f"porthole daemon: invalid --metrics-addr {text!r}: expected HOST:PORT, e.g. 127.0.0.1:9338"
    )


@pytest.fixture
def server():
    calls = []

    def failing() -> bytes:
        if calls:
            raise RuntimeError("boom")
        return b""

    s = MetricsServer("127.0.0.1:0", [lambda: b"a 1\n", lambda: b"b 2\n", failing])
    s.start()
    yield s, calls
    s.close()


def fetch(port: int, path: str):
    try:
        with OPENER.open(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


def test_metrics_is_the_concatenation_of_the_renderers(server):
    s, _ = server
    assert fetch(s.port, "/metrics") == (200, CONTENT_TYPE, b"a 1\nb 2\n")
    assert fetch(s.port, "/metrics?x=1")[2] == b"a 1\nb 2\n"
    assert fetch(s.port, "/")[0] == 200
    assert fetch(s.port, "/other")[:2] == (404, "text/plain")


def test_a_failing_renderer_answers_500_and_the_server_goes_on(server):
    s, calls = server
    calls.append(1)
    assert fetch(s.port, "/metrics")[0] == 500
    assert fetch(s.port, "/")[0] == 200


def test_a_busy_address_is_refused_at_construction():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InvalidOption) as e:
            MetricsServer(f"127.0.0.1:{port}", [])
    assert str(e.value) == f"exporter: cannot listen on --listen '127.0.0.1:{port}': Address already in use"
