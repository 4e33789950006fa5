"""--registry-mirror values, checked as moby's registry.ValidateMirror checks them."""

import pytest

from runtime.errors import InvalidParameter
from runtime.images.registry.mirrors import parse_mirror


@pytest.mark.parametrize(
    ("value", "url", "host"),
    [
        ("http://127.0.0.1:5001", "http://127.0.0.1:5001/", "127.0.0.1:5001"),
        ("https://mirror.example/", "https://mirror.example/", "mirror.example"),
    ],
)
def test_a_mirror_is_shown_with_a_trailing_slash(value, url, host):
    mirror = parse_mirror(value)
    assert (mirror.url, mirror.host, mirror.plain_http) == (url, host, value.startswith("http:"))


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("mirror.example", 'unsupported scheme "" in "mirror.example"'),
        ("ftp://mirror.example", 'unsupported scheme "ftp"'),
        ("https://mirror.example/v2", "path, query, or fragment at end of the URI"),
        ("https://mirror.example/?a=b", "path, query, or fragment at end of the URI"),
        ("https://user:pw@mirror.example", "username/password not allowed in URI"),
    ],
)
def test_a_bad_mirror_is_refused_with_dockers_message(value, why):
    with pytest.raises(InvalidParameter, match=f"invalid mirror: .*{why}".replace("?", r"\?")):
        parse_mirror(value)
