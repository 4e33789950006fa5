"""`docker update` and `docker resize` of a live container: the resource limits and restart policy merged as
moby's UpdateContainer merges them (a zero or absent field leaves the current value), with its checks and
texts, and applied to the container's cgroup; a terminal's size set on the master its shim holds."""

from collections.abc import Mapping
from typing import Any

from runtime.cgroups import Resources
from runtime.engine.config import DaemonConfig
from runtime.engine.launch import cgroup_for, resource_warnings
from runtime.engine.lifecycle import Lifecycle
from runtime.engine.model import DEAD, REMOVING, Container
from runtime.engine.restart import RestartPolicy
from runtime.engine.store import ContainerStore
from runtime.engine.terminals import resize_container_terminal
from runtime.errors import Conflict, InvalidParameter, NotImplementedYet

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


class Adjustments:
    """Changes to a container that leave it running; each under the container's lifecycle lock."""

    def __init__(self, config: DaemonConfig, store: ContainerStore, lifecycle: Lifecycle) -> None:
        self._config = config
        self._store = store
        self._lifecycle = lifecycle

    def update(self, container: Container, body: dict) -> list[str]:
        """New limits go to a running container's cgroup at once (and to the next start), a new restart policy
        holds from the next exit; Docker's warnings for limits the host cannot apply."""
        with self._lifecycle.lock(container):
            if container.state.status in (REMOVING, DEAD):
                raise Conflict(f"Cannot update container {container.id}: container is marked for removal")
            host_config = merged_host_config(container.host_config, body)
            resources = Resources.from_host_config(host_config)
            RestartPolicy.from_host_config(host_config)
            if container.state.live:
                warnings = cgroup_for(self._config, container.id).set(resources)
            else:
                warnings = resource_warnings(self._config, container.id, host_config)
            container.host_config = host_config
            self._store.save_config(container)
            self._lifecycle.event(container, "update")
            return warnings

    def resize(self, container: Container, rows: int, columns: int) -> None:
        """The size of a running container's terminal (its shim holds the master); nothing without one."""
        with self._lifecycle.lock(container):
            if not container.state.live:
                raise Conflict(f"Container {container.id} is not running")
            if container.config.get("Tty"):
                resize_container_terminal(container.state.shim_pid, rows, columns)
