"""`python -m porthole.serve.web`: the refusals happen before anything is served."""

import pytest

from porthole.serve.web import main


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--listen", "0.0.0.0:8080"], "web: refusing to listen on 0.0.0.0:8080: it is not a loopback address"),
        (["--enable-controls"], "web: refusing --enable-controls without --token"),
        (["--listen", "nonsense"], "web: invalid --listen 'nonsense': expected HOST:PORT"),
        (["--token", "short"], "web: invalid --token: it must be at least 16 characters long"),
    ],
)
def test_refused_configurations_exit_2_with_the_reason(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("PORTHOLE_WEB_TOKEN", raising=False)
    assert main(["-H", "unix:///nonexistent.sock", *argv]) == 2
    assert capsys.readouterr().err.startswith(message)


def test_an_unreadable_token_file_is_told(tmp_path, capsys):
    missing = tmp_path / "token"
    assert main(["-H", "unix:///nonexistent.sock", "--token-file", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"web: cannot read --token-file {missing}: No such file or directory"


def test_the_token_may_come_from_the_environment(monkeypatch, capsys):
    monkeypatch.setenv("PORTHOLE_WEB_TOKEN", "short")
    assert main(["-H", "unix:///nonexistent.sock", "--listen", "0.0.0.0:8080"]) == 2
    assert "at least 16 characters" in capsys.readouterr().err


def test_a_taken_port_is_told(capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["-H", "unix:///nonexistent.sock", "--listen", f"127.0.0.1:{port}"]) == 2
    assert capsys.readouterr().err.strip() == f"web: cannot listen on 127.0.0.1:{port}: Address already in use"


def test_an_embedded_dashboard_serves_and_stops_from_another_thread():
    import socket
    import threading
    import urllib.request

    from web.serving import build_dashboard
    from web.settings import serving_options

    dashboard = build_dashboard("unix:///nonexistent.sock", serving_options("127.0.0.1:0", None, False))
    serving = threading.Thread(target=dashboard.serve, daemon=True)
    serving.start()
    url = f"http://{dashboard.address}"
    with urllib.request.urlopen(f"{url}/api/v1/host", timeout=10) as response:
        assert response.status == 200
    idle = socket.create_connection((dashboard.address.host, dashboard.address.port))  # an open connection
    try:
        dashboard.close()
        serving.join(10)
        assert not serving.is_alive()
    finally:
        idle.close()
