"""What confines a container's processes beyond its namespaces: capabilities, Docker's seccomp profiles compiled
by libseccomp, no_new_privileges, --privileged; decided from the HostConfig by one SecurityPolicy."""

from runtime.security.capabilities import own_capabilities
from runtime.security.policy import Confinement, SecurityPolicy

__all__ = ["Confinement", "SecurityPolicy", "own_capabilities"]
