"""`--registry-mirror`: registries that stand in for Docker Hub. A pull of a docker.io image asks each mirror in
the order given (`/v2/library/busybox/manifests/latest` on the mirror, as Docker asks), the next one when a
mirror fails; porthole reaches no Docker Hub itself, so when no mirror has the image the pull fails without
leaving the machine."""

import urllib.parse
from dataclasses import dataclass

from runtime.errors import InvalidParameter


@dataclass(frozen=True, slots=True)
class Mirror:
    url: str  # as Docker shows it: scheme://host[:port]/

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.url).netloc

    @property
    def plain_http(self) -> bool:
        return self.url.startswith("http://")


def parse_mirror(value: str) -> Mirror:
    """moby's registry.ValidateMirror: an http(s) URL with no path, query, fragment or credentials; a trailing
    slash added."""
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        raise InvalidParameter(f'invalid mirror: "{value}" is not a valid URI') from None
    if parts.scheme not in ("http", "https"):
        raise InvalidParameter(f'invalid mirror: unsupported scheme "{parts.scheme}" in "{value}"')
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidParameter(f'invalid mirror: path, query, or fragment at end of the URI "{value}"')
    if parts.username is not None:
        raise InvalidParameter(f'invalid mirror: username/password not allowed in URI "{value}"')
    if not parts.netloc:
        raise InvalidParameter(f'invalid mirror: "{value}" is not a valid URI')
    return Mirror(value.removesuffix("/") + "/")
