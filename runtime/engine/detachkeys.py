"""Detach keys: the key sequence that ends an attach (or an exec's session) to a terminal and leaves the process
running. Docker's format and default (moby/term ToBytes): comma-separated keys, each one character or `ctrl-X`
for X in a-z, @, [, \\, ], ^, _; `ctrl-p,ctrl-q` unless the client names others."""

from runtime.errors import InvalidParameter

DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q"
_CONTROL_NAMES = "@abcdefghijklmnopqrstuvwxyz[\\]^_"  # ctrl-@ is 0, ctrl-a 1, ... ctrl-_ 31


def parse_detach_keys(text: str) -> bytes:
    """The bytes of a key sequence; InvalidParameter with Docker's message for a key it does not know."""
    codes = bytearray()
    for key in (text or DEFAULT_DETACH_KEYS).split(","):
        if len(key) == 1:
            codes += key.encode()
            continue
        name = key.removeprefix("ctrl-")
        if key.startswith("ctrl-") and len(name) == 1 and name in _CONTROL_NAMES:
            codes.append(_CONTROL_NAMES.index(name))
            continue
        raise InvalidParameter(f"Invalid detach keys ({text}) provided")
    return bytes(codes)


class EscapeScanner:
    """Finds the detach keys in a client's input as moby's escape proxy does: only keys that arrive one per read
    count (a key typed at a terminal does; a paste or a program's input does not), and keys held back while they
    might begin the sequence are passed on, in order, as soon as the next read shows they do not."""

    def __init__(self, keys: bytes) -> None:
        self._keys = keys
        self._matched = 0  # how many keys of the sequence the reads so far ended with

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """The bytes to pass on, and whether the sequence is complete (it is then dropped)."""
        held = self._keys[: self._matched]
        if len(data) == 1 and data[0] == self._keys[self._matched]:
            self._matched += 1
            if self._matched == len(self._keys):
                self._matched = 0
                return b"", True
            return b"", False
        self._matched = 0
        return held + data, False
