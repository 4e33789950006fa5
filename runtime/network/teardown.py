"""Everything the network room made, undone: for tests and uninstall.

The state is read from disk first, so a service built only to clean up after a daemon that is gone (never
start()ed) finds that daemon's bridges. Every step is tried even if an earlier one failed (a half-done cleanup
would leak the rest); the failures are returned, the caller raises the first.
"""

import logging
from collections.abc import Callable

from runtime.errors import EngineError
from runtime.network.firewall import HostFirewall
from runtime.network.links import delete_link
from runtime.network.netns import remove_netns
from runtime.network.overlay_links import delete_overlay, overlay_netns
from runtime.network.registry import NetworkRegistry
from runtime.network.sandboxes import SandboxManager
from runtime.network.sublinks import delete_parent

log = logging.getLogger(__name__)


def teardown_room(registry: NetworkRegistry, sandboxes: SandboxManager, firewall: HostFirewall) -> list[Exception]:
    failures: list[Exception] = []

    def attempt(step: Callable[..., object], *args: object) -> None:
        try:
            step(*args)
        except (EngineError, OSError) as exc:
            log.exception("network: teardown step %s%s failed", getattr(step, "__name__", step), args)
            failures.append(exc)

    registry.load()
    sandboxes.load()
    for container_id in list(sandboxes.containers):
        attempt(sandboxes.forget, container_id)
    for network in registry.all():
        if network.is_bridge and network.bridge_created:
            attempt(delete_link, network.bridge_name)
        if network.is_overlay:
            attempt(delete_overlay, overlay_netns(sandboxes.netns_dir, network.id))
        if network.is_sublink:
            attempt(delete_parent, network)
        attempt(registry.remove, network.id)
    attempt(firewall.remove)
    netns_dir = sandboxes.netns_dir
    for path in netns_dir.glob("*") if netns_dir.is_dir() else ():
        attempt(remove_netns, path)
    if netns_dir.is_dir():
        attempt(netns_dir.rmdir)
    return failures
