import pytest

from web.errors import InvalidOption, UnsafeExposure
from web.settings import ListenAddress, TlsFiles, is_loopback, parse_listen, serving_options, tls_files

TOKEN = "s3cret-token-of-24-chars"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("127.0.0.1:8080", ListenAddress("127.0.0.1", 8080)),
        ("localhost:0", ListenAddress("localhost", 0)),
        ("[::1]:9000", ListenAddress("::1", 9000)),
        ("0.0.0.0:80", ListenAddress("0.0.0.0", 80)),
    ],
)
def test_parse_listen(text, expected):
    assert parse_listen(text) == expected


@pytest.mark.parametrize(
    "text, why",
    [
        ("8080", "expected HOST:PORT"),
        (":8080", "expected HOST:PORT"),
        ("127.0.0.1:http", "the port must be a number from 0 to 65535"),
        ("127.0.0.1:70000", "the port must be a number from 0 to 65535"),
    ],
)
def test_parse_listen_refuses(text, why):
    with pytest.raises(InvalidOption, match=f"web: invalid --listen '{text}': {why}"):
        parse_listen(text)


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_str_of_an_ipv6_address_has_brackets():
    assert str(ListenAddress("::1", 80)) == "[::1]:80"


def test_loopback_needs_no_token():
    options = serving_options("127.0.0.1:8080", None, False)
    assert (options.listen, options.token, options.controls) == (ListenAddress("127.0.0.1", 8080), None, False)


def test_any_other_address_without_a_token_is_refused_with_the_reason():
    with pytest.raises(UnsafeExposure) as caught:
        serving_options("0.0.0.0:8080", None, False)
    assert str(caught.value).startswith(
        "web: refusing to listen on 0.0.0.0:8080: it is not a loopback address and no --token is set"
    )
    assert "pass --token (or --token-file), or listen on 127.0.0.1" in str(caught.value)


def test_a_token_opens_other_addresses_and_the_controls():
    options = serving_options("0.0.0.0:8080", TOKEN, True)
    assert (options.token, options.controls) == (TOKEN, True)


def test_controls_without_a_token_are_refused_even_on_loopback():
    with pytest.raises(UnsafeExposure, match="web: refusing --enable-controls without --token"):
        serving_options("127.0.0.1:8080", None, True)


def test_a_short_token_is_refused():
    with pytest.raises(InvalidOption, match="web: invalid --token: it must be at least 16 characters long"):
        serving_options("0.0.0.0:8080", "short", False)


def test_tls_files_go_together_and_must_be_readable(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("x")
    key.write_text("y")
    assert tls_files(None, None) is None
    assert tls_files(str(cert), str(key)) == TlsFiles(str(cert), str(key))
    with pytest.raises(InvalidOption, match="go together"):
        tls_files(str(cert), None)
    with pytest.raises(InvalidOption, match="cannot read --tls-key"):
        tls_files(str(cert), str(tmp_path / "missing.pem"))
