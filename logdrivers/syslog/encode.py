"""Docker's syslog messages, byte for byte (srslog's formatters as Docker's syslog driver picks them).

    ""  (default)   <PRI>Jan _2 15:04:05 TAG[PID]: LINE\\n                      (time.Stamp, no hostname)
    rfc3164         <PRI>Jan _2 15:04:05 HOSTNAME TAG[PID]: LINE\\n
    rfc5424         <PRI>1 2006-01-02T15:04:05Z07:00 HOSTNAME TAG PID TAG - LINE\\n
    rfc5424micro    <PRI>1 2006-01-02T15:04:05.000000Z07:00 HOSTNAME TAG PID TAG - LINE\\n

PRI is facility*8 + severity, severity 6 (info) for stdout and 3 (err) for stderr. Times are local, as Go's
time.Now() formats them. HOSTNAME is the daemon host's name, PID the daemon's; rfc5424 carries the tag as both
APP-NAME and MSGID and no structured data ("-"), as Docker's formatter writes it (its labels and env options
change nothing in a syslog message). The line goes out with a newline appended. One difference from Docker,
deliberate: the time is when the line was read from the container (Docker: when it was sent, which after an
outage is later). An empty line is not sent, as in Docker.
"""

import time
from collections.abc import Iterable

from logdrivers.message import Message

SEVERITY = {"stdout": 6, "stderr": 3}
_MONTHS = (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec")


def go_stamp(seconds: int) -> bytes:
    """Go's time.Stamp, "Jan _2 15:04:05", in local time."""
    tm = time.localtime(seconds)
    return b"%s %2d %02d:%02d:%02d" % (_MONTHS[tm.tm_mon - 1], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)


def go_rfc3339(timestamp_ns: int, micro: bool) -> bytes:
    """Go's "2006-01-02T15:04:05Z07:00" (or with ".000000": truncated microseconds) in local time."""
    seconds, nanos = divmod(timestamp_ns, 1_000_000_000)
    tm = time.localtime(seconds)
    text = b"%04d-%02d-%02dT%02d:%02d:%02d" % tm[:6]
    if micro:
        text += b".%06d" % (nanos // 1000)
    offset = tm.tm_gmtoff
    if offset == 0:
        return text + b"Z"
    sign = b"+" if offset > 0 else b"-"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return text + b"%s%02d:%02d" % (sign, hours, minutes)


class SyslogEncoder:
    def __init__(self, format_: str, facility: int, tag: str, pid: int, hostname: str) -> None:
        self._format = format_
        self._facility = facility
        self._tag = tag.encode()
        self._pid = pid
        self._hostname = hostname.encode()
        self._headers: dict[tuple[str, int], bytes] = {}  # (source, second) -> header, for the current second
        self._second = -1

    def encode_one(self, msg: Message) -> bytes | None:
        """The message for one line, ending in a newline; None for an empty line (not sent)."""
        if not msg.line:
            return None
        if self._format == "rfc5424micro":
            return self._micro_header(msg) + msg.line + b"\n"
        return self._header(msg.source, msg.timestamp_ns // 1_000_000_000) + msg.line + b"\n"

    def encode(self, messages: Iterable[Message]) -> list[bytes]:
        """One syslog message per non-empty line, each ending in a newline."""
        out: list[bytes] = []
        append, header, micro = out.append, self._header, self._format == "rfc5424micro"
        for msg in messages:
            if not msg.line:
                continue
            head = self._micro_header(msg) if micro else header(msg.source, msg.timestamp_ns // 1_000_000_000)
            append(head + msg.line + b"\n")
        return out

    def _priority(self, source: str) -> int:
        return self._facility * 8 + SEVERITY.get(source, 6)

    def _header(self, source: str, second: int) -> bytes:
        if second != self._second:
            self._headers.clear()
            self._second = second
        head = self._headers.get((source, second))
        if head is None:
            head = self._headers[(source, second)] = self._make_header(source, second * 1_000_000_000)
        return head

    def _micro_header(self, msg: Message) -> bytes:
        return self._make_header(msg.source, msg.timestamp_ns)

    def _make_header(self, source: str, timestamp_ns: int) -> bytes:
        pri, tag, pid = self._priority(source), self._tag, self._pid
        if self._format == "":
            return b"<%d>%s %s[%d]: " % (pri, go_stamp(timestamp_ns // 1_000_000_000), tag, pid)
        if self._format == "rfc3164":
            stamp = go_stamp(timestamp_ns // 1_000_000_000)
            return b"<%d>%s %s %s[%d]: " % (pri, stamp, self._hostname, tag, pid)
        stamp = go_rfc3339(timestamp_ns, self._format == "rfc5424micro")
        return b"<%d>1 %s %s %s %d %s - " % (pri, stamp, self._hostname, tag, pid, tag)
