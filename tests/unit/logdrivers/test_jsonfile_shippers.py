"""Our json-file logs read by the rules of the shippers that read Docker's: Filebeat's container input and Fluent
Bit's docker parser (reference/logging.md, section 8). Neither tool can be installed here, so each is reduced to
the rules its documentation and source give. The file is the json-file driver's, written by the copier from
output that needs every rule: a line cut into 16 KiB pieces, an unterminated last line, both streams, quotes,
control characters and bytes that are not UTF-8."""

import json
import os
import re
from datetime import UTC, datetime

from logdrivers.copier import Copier
from logdrivers.info import ContainerInfo
from tests.unit.logdrivers.conftest import shim_writer

LONG = "x" * 40_000  # three pieces: 16 KiB, 16 KiB and the rest
STDOUT_LINES = ["first\n", LONG + "\n", 'say "hi"\tand \\ bye\n', "caf\u00e9 \ufffd raw\n"]
STDOUT = b"first\n" + LONG.encode() + b'\nsay "hi"\tand \\ bye\ncaf\xc3\xa9 \xff raw\nno newline at the end'
STDERR_LINES = ["oops\n", "\x01\x1b[31mred\x1b[0m\n"]
STDERR = "".join(STDERR_LINES).encode()
READ_AT_NS = 1_764_999_999_123_400_000  # Go trims the fraction's zeros (".1234Z"): Fluent Bit's %L must read it

_GO_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
_FLUENT_BIT_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{1,9})")  # %Y-%m-%dT%H:%M:%S.%L, then "Z"


def write_log(info: ContainerInfo) -> list[bytes]:
    driver = shim_writer("json-file", {}, info)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        os.write(out_w, STDOUT)  # both fit a pipe's buffer: written whole before the copier reads
        os.write(err_w, STDERR)
        os.close(out_w)
        os.close(err_w)
        Copier({"stdout": out_r, "stderr": err_r}, driver, clock=lambda: READ_AT_NS).run()
    finally:
        for fd in (out_r, err_r):
            os.close(fd)
    return info.log_path.read_bytes().splitlines()


def filebeat_container_input(lines: list[bytes]) -> tuple[list[dict], dict | None]:
    """Events as Filebeat makes them, and the partial line it still holds at the end of the file: a line that
    starts with "{" is docker-json, of which only log, stream and time are read; time by Go's time.RFC3339 (a
    fraction optional); an entry whose log does not end in a newline is joined with the next ones until one does
    (combine_partial, on by default)."""
    events: list[dict] = []
    pending: dict | None = None
    for raw in lines:
        assert raw.startswith(b"{"), raw[:40]  # otherwise Filebeat reads the line as CRI
        entry = json.loads(raw)
        log, stream, time = entry["log"], entry["stream"], entry["time"]
        assert _GO_RFC3339.fullmatch(time), time
        if pending is None:
            pending = {"stream": stream, "time": time, "message": ""}
        pending["message"] += log
        if log.endswith("\n"):
            events.append(pending)
            pending = None
    return events, pending


def fluent_bit_docker_parser(raw: bytes) -> tuple[dict, int]:
    """The record and its time in ns, as parser `docker` gives them: Format json, Time_Key time, Time_Format
    %Y-%m-%dT%H:%M:%S.%L (fractional seconds required), Time_Keep On."""
    record = json.loads(raw)
    match = _FLUENT_BIT_TIME.match(record["time"])
    assert match, record["time"]
    seconds = datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()
    return record, int(seconds) * 1_000_000_000 + int(match[2].ljust(9, "0"))


def test_filebeat_reads_every_line_back_and_joins_the_cut_one(info):
    events, held = filebeat_container_input(write_log(info))
    assert [e["message"] for e in events if e["stream"] == "stdout"] == STDOUT_LINES
    assert [e["message"] for e in events if e["stream"] == "stderr"] == STDERR_LINES
    # The unterminated last line is a partial entry: Filebeat waits for its end, as with Docker's files.
    assert held == {"stream": "stdout", "time": events[0]["time"], "message": "no newline at the end"}


def test_fluent_bit_parses_every_entry_with_the_read_time(info):
    lines = write_log(info)
    assert len(lines) == 9  # seven stdout entries (the cut line is three) and two stderr
    for raw in lines:
        record, time_ns = fluent_bit_docker_parser(raw)
        assert time_ns == READ_AT_NS
        assert set(record) == {"log", "stream", "time"}
