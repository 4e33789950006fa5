"""The answer for a request no route serves: Docker's endpoints that porthole does not implement get a 501 naming
the feature (clients read a 404 as "no such object": `docker rename` printed "failed to rename container");
swarm's get the 503 a Docker daemon without a swarm gives; anything else is Docker's 404 "page not found".

Only requests that no route matched come here, so an endpoint that gets a route leaves this table's reach."""

import re

from runtime.errors import EngineError, NotFound, NotImplementedYet, Unavailable

# moby daemon/cluster/errors.go
NOT_A_SWARM_MANAGER = (
    'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to '
    "swarm and try again."
)
NOT_IN_A_SWARM = "This node is not part of a swarm"

_SWARM = re.compile(r"^/(swarm|services|nodes|tasks|secrets|configs)(/.*)?$")
_SWARM_MODE = re.compile(r"^/swarm/(init|join)$")

# Docker Engine API 1.47 endpoints without a route here, and the feature each belongs to.
_FEATURES = tuple(
    (re.compile(f"^{pattern}$"), feature)
    for pattern, feature in (
        (r"/containers/[^/]+/attach/ws", "attach over websockets"),
        (r"/build/cancel", "cancelling a build by its id (a build is cancelled by closing its connection)"),
        (r"/session", "build sessions"),
        (r"/grpc", "gRPC (BuildKit)"),
        (r"/plugins(/.*)?", "plugins"),
        (r"/volumes/[^/]+", "cluster volume update"),
    )
)


def unmatched(method: str, path: str) -> EngineError:
    """The error that answers `method path` when no route serves it."""
    if _SWARM_MODE.match(path):
        return NotImplementedYet("porthole: swarm mode is not supported")
    if path == "/swarm/leave":
        return Unavailable(NOT_IN_A_SWARM)
    if _SWARM.match(path):
        return Unavailable(NOT_A_SWARM_MANAGER)
    for pattern, feature in _FEATURES:
        if pattern.match(path):
            return NotImplementedYet(f"porthole: {method} {path}: {feature} is not supported")
    return NotFound("page not found")
