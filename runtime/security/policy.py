"""What a container's processes run under, decided from its HostConfig: capabilities, the seccomp program,
no_new_privileges, privileged. The same call validates at create and builds at start, so a bad option is
refused before anything is made."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.security.capabilities import container_capabilities, names_of
from runtime.security.options import BUILTIN, UNCONFINED, parse_security_opts
from runtime.security.seccomp_filter import FilterCache
from runtime.security.seccomp_profile import ChosenFilter, Host, choose, default_profile, parse_profile


@dataclass(frozen=True)
class Confinement:
    capabilities: int  # bounding set, and effective set of a root process
    seccomp: ChosenFilter | None  # None: unconfined
    no_new_privileges: bool
    privileged: bool


class SecurityPolicy:
    def __init__(self, available_capabilities: int, host: Host | None = None, profile: str | None = None) -> None:
        self.available = available_capabilities
        self._host = host or Host.this_machine()
        self._default = parse_profile(profile if profile is not None else default_profile())
        self._programs = FilterCache()

    def confinement(self, host_config: Mapping[str, Any]) -> Confinement:
        privileged = bool(host_config.get("Privileged"))
        opts = parse_security_opts(host_config.get("SecurityOpt"))
        capabilities = container_capabilities(
            host_config.get("CapAdd") or (), host_config.get("CapDrop") or (), privileged, self.available
        )
        seccomp = None
        # moby: a privileged container runs unconfined whatever its seccomp option says
        if not privileged and opts.seccomp != UNCONFINED:
            profile = parse_profile(opts.seccomp) if opts.seccomp not in ("", BUILTIN) else self._default
            seccomp = choose(profile, names_of(capabilities), self._host)
        return Confinement(capabilities, seccomp, opts.no_new_privileges, privileged)

    def for_exec(self, container: Confinement, privileged: bool) -> Confinement:
        """`docker exec --privileged` gets every capability the daemon holds, under the container's filter
        (runc applies the container's seccomp to each process it starts in it)."""
        if not privileged:
            return container
        return Confinement(self.available, container.seccomp, container.no_new_privileges, container.privileged)

    def program(self, confinement: Confinement) -> bytes | None:
        """The compiled seccomp program, shared by every container with the same rules."""
        return None if confinement.seccomp is None else self._programs.program(confinement.seccomp)
