"""The mode field of a `-v` spec ("ro", "rw,z", "ro,rslave", "nocopy"): Docker's grammar for Linux.

A mode is a comma list holding at most one word of each kind. SELinux labels and macOS consistency words are
accepted and have no effect here, as on any Docker host without SELinux.
"""

from runtime.errors import NotImplementedYet

RW_MODES = frozenset({"rw", "ro"})
LABEL_MODES = frozenset({"z", "Z"})
PROPAGATION_MODES = frozenset({"private", "rprivate", "slave", "rslave", "shared", "rshared"})
COPY_MODES = frozenset({"nocopy"})
CONSISTENCY_MODES = frozenset({"consistent", "cached", "delegated"})
DEFAULT_PROPAGATION = "rprivate"

_KINDS = (RW_MODES, LABEL_MODES, PROPAGATION_MODES, COPY_MODES, CONSISTENCY_MODES)


def valid_mode(mode: str) -> bool:
    """True for "" and for a comma list of known words with at most one word of each kind."""
    if mode == "":
        return True
    counts = [0] * len(_KINDS)
    for word in mode.split(","):
        kind = next((i for i, words in enumerate(_KINDS) if word in words), None)
        if kind is None:
            return False
        counts[kind] += 1
    return max(counts) <= 1


def read_write(mode: str) -> bool:
    """False when the mode asks for read-only (or is invalid, as Docker's ReadWrite says)."""
    return valid_mode(mode) and "ro" not in mode.split(",")


def propagation(mode: str) -> str | None:
    """The propagation word of the mode, or None when the mode names none."""
    return next((w for w in mode.split(",") if w in PROPAGATION_MODES), None)


def supported_propagation(word: str) -> str:
    """Only private propagation is applied: the container's root is made rprivate before its mounts, so a
    shared or slave bind would not propagate as asked; refused rather than accepted and not applied."""
    if word not in ("private", "rprivate"):
        raise NotImplementedYet(f"porthole: bind-propagation {word}: only private and rprivate are supported yet")
    return word


def copy_mode(mode: str) -> bool | None:
    """False when the mode says "nocopy"; None when it says nothing about copying."""
    return False if "nocopy" in mode.split(",") else None
