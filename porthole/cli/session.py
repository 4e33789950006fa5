"""The connection to the daemon: where it is (-H, $DOCKER_HOST, the default socket), docker-py's APIClient made on
first use, the few raw calls docker-py has no method for, and its failures told as docker tells them.

docker-py is imported only here and only when a verb first talks to the daemon: `import docker` costs about
100 ms (requests and urllib3 are most of it), which `porthole --help` and a bad flag never pay.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import docker
    import requests

DEFAULT_HOST = "unix:///run/porthole/porthole.sock"
# A fixed API version spares every command docker-py's `GET /version` round trip. 1.44 (Docker 25) has every
# call made here; $DOCKER_API_VERSION overrides it, e.g. "auto" against an older Docker daemon.
API_VERSION = "1.44"


def resolve_host(flag: str | None, environ: dict[str, str] | os._Environ = os.environ) -> str:
    """-H wins, then $DOCKER_HOST, then the daemon's default socket."""
    return flag or environ.get("DOCKER_HOST") or DEFAULT_HOST


class Session:
    """One command's use of one daemon."""

    def __init__(self, host: str) -> None:
        self.host = host

    @cached_property
    def api(self) -> docker.APIClient:
        import docker

        # No client-side timeout: like docker, a `stop -t 60` or a follow waits as long as the daemon works.
        return docker.APIClient(
            base_url=self.host, version=os.environ.get("DOCKER_API_VERSION", API_VERSION), timeout=None
        )

    def request(
        self,
        method: str,
        path: str,
        *path_args: str,
        params: dict[str, Any] | None = None,
        stream: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        """A call docker-py has no method for (wait before start, logs with stream ids, import with a message,
        save of several images, stop with a signal). `path` is formatted with the quoted `path_args`."""
        api = self.api
        wanted = {key: value for key, value in (params or {}).items() if value is not None}
        response = api.request(method, api._url(path, *path_args), params=wanted, stream=stream, **kwargs)
        api._raise_for_status(response)
        return response

    def failure_message(self, exc: BaseException) -> str | None:
        """What docker prints for a failure of the daemon or of the connection; None for any other exception."""
        if "docker.errors" not in sys.modules:
            return None  # docker-py never ran, so this is not one of its failures
        import requests
        from docker.errors import APIError, DockerException

        if isinstance(exc, APIError):
            return f"Error response from daemon: {exc.explanation or exc}"
        if isinstance(exc, (DockerException, requests.exceptions.ConnectionError)):
            return f"Cannot connect to the porthole daemon at {self.host}. Is the daemon running? ({exc})"
        return None

    def is_not_found(self, exc: BaseException) -> bool:
        """A 404 from the daemon: no such container, image, network or volume."""
        if "docker.errors" not in sys.modules:
            return False
        from docker.errors import NotFound

        return isinstance(exc, NotFound)

    def for_each(
        self,
        names: Iterable[str],
        action: Callable[[str], Any],
        show: Callable[[str, Any], str | None] = lambda name, _: name,
    ) -> int:
        """Run `action` on every name as docker does: print what `show` makes of each success, print each
        daemon error and go on; status 1 if any failed."""
        status = 0
        for name in names:
            try:
                result = action(name)
            except Exception as e:
                message = self.failure_message(e)
                if message is None:
                    raise
                print(message, file=sys.stderr)
                status = 1
                continue
            line = show(name, result)
            if line is not None:
                print(line, flush=True)
        return status
