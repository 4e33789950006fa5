"""Docker's JSON shape of one `docker events` message."""

from typing import Any

from runtime.engine.events import Event


def event(e: Event) -> dict[str, Any]:
    body = {
        "Type": e.type,
        "Action": e.action,
        "Actor": {"ID": e.actor_id, "Attributes": dict(e.attributes)},
        "scope": "local",
        "time": e.time_ns // 1_000_000_000,
        "timeNano": e.time_ns,
    }
    # the fields of API < 1.22 that clients still read (docker-py's users: event["status"]), as moby fills them
    if e.type == "container":
        body.update(status=e.action, id=e.actor_id, **{"from": e.attributes.get("image", "")})
    elif e.type == "image":
        body.update(status=e.action, id=e.actor_id)
    return body
