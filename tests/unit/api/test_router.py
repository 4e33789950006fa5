"""Routes with Docker's optional /vX.Y prefix."""

import pytest

from runtime.api.http import Json
from runtime.api.router import Router, split_version


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1.47/containers/json", ("/containers/json", "1.47")),
        ("/v1.24/_ping", ("/_ping", "1.24")),
        ("/containers/json", ("/containers/json", "")),
        ("/v1/containers/json", ("/containers/json", "1")),
        ("/version", ("/version", "")),
        ("/v1.47", ("/v1.47", "")),  # a prefix needs a path after it
    ],
)
def test_split_version(path, expected):
    assert split_version(path) == expected


def test_match_by_method_and_path_with_named_groups():
    router = Router()
    router.add("GET", r"/containers/(?P<ref>[^/]+)/json", lambda req, ref: Json(ref))
    router.add("POST", r"/containers/(?P<ref>[^/]+)/start", lambda req, ref: Json(ref))
    handler, found = router.match("GET", "/containers/abc/json")
    assert found == {"ref": "abc"}
    assert router.match("POST", "/containers/abc/json") is None
    assert router.match("GET", "/containers/abc/json/extra") is None
    assert router.match("HEAD", "/containers/abc/json") is not None  # HEAD is served by GET routes
