"""A container's capability set from --privileged, --cap-add and --cap-drop, with moby's semantics
(oci/caps TweakCapabilities): names with or without CAP_, any case; ALL in --cap-add means every capability,
ALL in --cap-drop means none but those added.

"Every capability" is what the daemon itself holds, not every one the kernel knows: on hosts whose bounding
set lacks one (CAP_SYS_RESOURCE on these machines), Docker 20.10's --privileged fails at start ("unable to
apply caps"), and porthole's does not."""

from collections.abc import Iterable

from runtime.errors import InvalidParameter
from runtime.linux.constants import DEFAULT_CAPABILITIES

# capability.h, in bit order
CAPABILITIES = {
    name: bit
    for bit, name in enumerate(
        (
            "CAP_CHOWN",
            "CAP_DAC_OVERRIDE",
            "CAP_DAC_READ_SEARCH",
            "CAP_FOWNER",
            "CAP_FSETID",
            "CAP_KILL",
            "CAP_SETGID",
            "CAP_SETUID",
            "CAP_SETPCAP",
            "CAP_LINUX_IMMUTABLE",
            "CAP_NET_BIND_SERVICE",
            "CAP_NET_BROADCAST",
            "CAP_NET_ADMIN",
            "CAP_NET_RAW",
            "CAP_IPC_LOCK",
            "CAP_IPC_OWNER",
            "CAP_SYS_MODULE",
            "CAP_SYS_RAWIO",
            "CAP_SYS_CHROOT",
            "CAP_SYS_PTRACE",
            "CAP_SYS_PACCT",
            "CAP_SYS_ADMIN",
            "CAP_SYS_BOOT",
            "CAP_SYS_NICE",
            "CAP_SYS_RESOURCE",
            "CAP_SYS_TIME",
            "CAP_SYS_TTY_CONFIG",
            "CAP_MKNOD",
            "CAP_LEASE",
            "CAP_AUDIT_WRITE",
            "CAP_AUDIT_CONTROL",
            "CAP_SETFCAP",
            "CAP_MAC_OVERRIDE",
            "CAP_MAC_ADMIN",
            "CAP_SYSLOG",
            "CAP_WAKE_ALARM",
            "CAP_BLOCK_SUSPEND",
            "CAP_AUDIT_READ",
            "CAP_PERFMON",
            "CAP_BPF",
            "CAP_CHECKPOINT_RESTORE",
        )
    )
}
DEFAULT_SET = sum(1 << bit for bit in DEFAULT_CAPABILITIES.values())
ALL = "ALL"


def mask_of(names: Iterable[str]) -> int:
    return sum(1 << CAPABILITIES[name] for name in names)


def names_of(mask: int) -> frozenset[str]:
    return frozenset(name for name, bit in CAPABILITIES.items() if mask & (1 << bit))


def own_capabilities(status_path: str = "/proc/self/status") -> int:
    """The daemon's permitted set: all a container of it can be given."""
    with open(status_path) as f:
        for line in f:
            if line.startswith("CapPrm:"):
                return int(line.split()[1], 16)
    raise OSError(f"porthole: capabilities: no CapPrm line in {status_path}")


def _normalize(names: Iterable[str], field: str) -> list[str]:
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise InvalidParameter(f"invalid JSON: HostConfig.{field}: expected a list of strings")
    normalized = []
    for name in names:
        name = name.upper()
        if name != ALL and not name.startswith("CAP_"):
            name = "CAP_" + name
        if name != ALL and name not in CAPABILITIES:
            raise InvalidParameter(f'unknown capability: "{name}"')
        normalized.append(name)
    return normalized


def container_capabilities(cap_add: Iterable[str], cap_drop: Iterable[str], privileged: bool, available: int) -> int:
    """The container's bounding and (for root) effective set. A capability the daemon lacks cannot be given:
    --privileged and ALL take only those it has; one named in --cap-add is refused with the reason."""
    if privileged:
        return available
    adds, drops = _normalize(cap_add, "CapAdd"), _normalize(cap_drop, "CapDrop")
    if ALL in adds:
        return available & ~mask_of(n for n in drops if n != ALL)
    missing = [name for name in adds if not available & (1 << CAPABILITIES[name])]
    if missing:
        raise InvalidParameter(
            f"porthole: --cap-add {missing[0]}: the daemon does not hold this capability (not in its bounding set)"
        )
    if ALL in drops:
        return mask_of(adds)
    return (DEFAULT_SET & ~mask_of(drops)) | mask_of(adds)
