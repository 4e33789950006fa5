"""`docker update`: the resource limits and restart policy of a container merged as moby's UpdateContainer
merges them (a zero or absent field leaves the current value), with its checks and texts."""

from collections.abc import Mapping
from typing import Any

from runtime.errors import InvalidParameter, NotImplementedYet

# Fields taken when non-zero (or non-empty), as moby's UpdateContainer does.
_SET_WHEN_GIVEN = (
    "BlkioWeight",
    "CpuShares",
    "NanoCpus",
    "CpuPeriod",
    "CpuQuota",
    "CpusetCpus",
    "CpusetMems",
    "MemorySwap",
    "MemoryReservation",
)
UPDATE_FIELDS = frozenset({*_SET_WHEN_GIVEN, "Memory", "PidsLimit", "RestartPolicy"})


def merged_host_config(current: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """The HostConfig after `update` (an UpdateConfig body); InvalidParameter with moby's texts, and
    NotImplementedYet naming a field porthole does not update (clients send every field, the unset ones zero)."""
    for key, value in update.items():
        if key not in UPDATE_FIELDS and value not in (None, 0, "", [], {}, False):
            raise NotImplementedYet(f"porthole: update: {key} is not supported")
    hc = dict(current)
    for key in _SET_WHEN_GIVEN:
        if update.get(key):
            hc[key] = update[key]
    memory = update.get("Memory") or 0
    if memory:
        if memory > (current.get("MemorySwap") or 0) and not update.get("MemorySwap"):
            raise InvalidParameter(
                "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the "
                "same time"
            )
        hc["Memory"] = memory
    if update.get("PidsLimit") is not None:
        hc["PidsLimit"] = update["PidsLimit"]
    policy = update.get("RestartPolicy") or {}
    if policy.get("Name"):
        if policy["Name"] != "no" and current.get("AutoRemove"):
            raise InvalidParameter("Restart policy cannot be updated because AutoRemove is enabled for the container")
        hc["RestartPolicy"] = {"Name": policy["Name"], "MaximumRetryCount": policy.get("MaximumRetryCount") or 0}
    return hc
