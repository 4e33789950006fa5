"""Requests no route serves: Docker's unimplemented endpoints name their feature (501), the rest are Docker's 404."""

import pytest

from runtime.api.unsupported import unmatched
from runtime.errors import NotFound, NotImplementedYet


@pytest.mark.parametrize(
    ("method", "path", "feature"),
    [("GET", "/plugins", "plugins"), ("POST", "/session", "build sessions"), ("POST", "/build/cancel", "build")],
)
def test_an_endpoint_porthole_lacks_names_its_feature(method, path, feature):
    error = unmatched(method, path)
    assert isinstance(error, NotImplementedYet) and feature in str(error)


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/containers/box/export"), ("DELETE", "/commit"), ("PUT", "/auth"), ("GET", "/images/app/push")],
)
def test_a_wrong_method_on_an_endpoint_porthole_serves_is_page_not_found(method, path):
    """These endpoints have routes for their own methods: naming them "not supported" would be untrue."""
    error = unmatched(method, path)
    assert isinstance(error, NotFound) and str(error) == "page not found"
