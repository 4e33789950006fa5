"""`--restart no|always|unless-stopped|on-failure[:max-retries]` → HostConfig.RestartPolicy."""

from runtime.errors import InvalidParameter

POLICIES = ("no", "always", "unless-stopped", "on-failure")


def restart_policy(text: str) -> dict[str, str | int]:
    """`on-failure:3` → {"Name": "on-failure", "MaximumRetryCount": 3}; a count only goes with on-failure."""
    name, sep, count = text.partition(":")
    if name not in POLICIES:
        raise InvalidParameter(f"invalid restart policy {text!r}: {name!r} is none of {', '.join(POLICIES)}")
    if not sep:
        return {"Name": name, "MaximumRetryCount": 0}
    if name != "on-failure":
        raise InvalidParameter(f"invalid restart policy {text!r}: a maximum retry count goes only with on-failure")
    if not (count.isascii() and count.isdigit()):
        raise InvalidParameter(f"invalid restart policy {text!r}: the maximum retry count must be a whole number")
    return {"Name": name, "MaximumRetryCount": int(count)}
