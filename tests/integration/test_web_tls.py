"""The dashboard over HTTPS (`porthole web --tls-cert --tls-key`), with a token, as it would serve off loopback:
pages and the API answer over TLS to a client that trusts the CA, the session cookie is Secure, and plain HTTP
gets no page."""

import http.client
import ssl
from urllib.parse import urlsplit

import pytest

from tests.support.tls import make_certificates
from tests.support.web import start_web

pytestmark = pytest.mark.root

TOKEN = "a-token-long-enough-to-matter"


@pytest.fixture
def https_dashboard(ph, tmp_path):
    (tmp_path / "tls").mkdir()
    certs = make_certificates(tmp_path / "tls")
    server = start_web(ph.host, tmp_path / "web.log", "--tls-cert", str(certs.server_cert), "--tls-key",
                       str(certs.server_key), env={"PORTHOLE_WEB_TOKEN": TOKEN})  # fmt: skip
    try:
        yield server, certs
    finally:
        server.stop()


def test_the_dashboard_answers_over_tls_with_a_secure_session(https_dashboard):
    server, certs = https_dashboard
    assert server.url.startswith("https://127.0.0.1:")
    port = urlsplit(server.url).port
    context = ssl.create_default_context(cafile=str(certs.ca))
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    conn.request("GET", "/api/v1/containers", headers={"Authorization": f"Bearer {TOKEN}"})
    assert conn.getresponse().status == 200
    conn.close()
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    conn.request("POST", "/login", f"token={TOKEN}&next=/", {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    assert response.status == 303
    assert "Secure" in response.getheader("Set-Cookie")
    conn.close()


def test_plain_http_gets_no_page(https_dashboard):
    server, _ = https_dashboard
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(server.url).port, timeout=10)
    try:
        conn.request("GET", "/api/v1/containers", headers={"Authorization": f"Bearer {TOKEN}"})
        status = conn.getresponse().status
    except (http.client.HTTPException, ConnectionError):
        status = None
    finally:
        conn.close()
    assert status != 200
