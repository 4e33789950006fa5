"""Routes: method and path pattern to a handler, with the optional /vX.Y prefix the clients send."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from runtime.api.http import Request, Response

Handler = Callable[..., Response]
VERSION_PREFIX = re.compile(r"^/v(?P<version>[0-9][0-9.]*)(?=/)")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, path: str, handler: Handler) -> None:
        """`path` may hold named groups, e.g. r"/containers/(?P<ref>[^/]+)/json"."""
        self._routes.append(Route(method, re.compile(f"^{path}$"), handler))

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(self._routes)

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        for route in self._routes:
            if route.method != method and not (method == "HEAD" and route.method == "GET"):
                continue
            m = route.pattern.match(path)
            if m:
                # matched on the path as sent, then each parameter percent-decoded, as Go's router hands them
                return route.handler, {k: v if v is None else unquote(v) for k, v in m.groupdict().items()}
        return None


def split_version(path: str) -> tuple[str, str]:
    """("/containers/json", "1.47") from "/v1.47/containers/json"; no prefix gives version ""."""
    m = VERSION_PREFIX.match(path)
    if not m:
        return path, ""
    return path[m.end() :], m.group("version")


__all__ = ["Handler", "Request", "Route", "Router", "split_version"]
