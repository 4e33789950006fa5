"""The journald driver's entries, read back by a receiver written from the native protocol's specification
(systemd.io/JOURNAL_NATIVE_PROTOCOL), including an entry passed in a sealed memfd."""

import array
import fcntl
import os
import socket
import struct
import threading

import pytest

from common.rfc3339 import format_ns
from logdrivers.driver import DeliveryFailed
from logdrivers.journald.driver import JournaldDriver
from logdrivers.journald.encode import sanitize_key
from logdrivers.journald.options import parse_options
from logdrivers.message import Message, PartialMeta
from tests.unit.logdrivers.conftest import CONTAINER_ID

T = 1_714_564_800_123_456_789


def parse_entry(data: bytes) -> dict[str, bytes]:
    """Fields of one native-protocol entry: NAME=value lines, or NAME, a LE64 length and the value."""
    fields, pos = {}, 0
    while pos < len(data):
        end = data.index(b"\n", pos)
        line = data[pos:end]
        if b"=" in line:
            name, _, value = line.partition(b"=")
            pos = end + 1
        else:
            name = line
            (size,) = struct.unpack_from("<Q", data, end + 1)
            value = data[end + 9 : end + 9 + size]
            assert data[end + 9 + size : end + 10 + size] == b"\n"
            pos = end + 10 + size
        fields[name.decode()] = value
    return fields


class Receiver:
    def __init__(self, path) -> None:
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(5)

    def entry(self) -> dict[str, bytes]:
        data, ancillary, _, _ = self.sock.recvmsg(1 << 20, socket.CMSG_SPACE(4))
        if not ancillary:
            return parse_entry(data)
        assert data == b""  # the entry is in the passed file only
        fds = array.array("i")
        fds.frombytes(ancillary[0][2][:4])
        fd = fds[0]
        try:
            seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
            required = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
            assert seals & required == required  # journald refuses an unsealed memfd
            return parse_entry(os.pread(fd, os.fstat(fd).st_size, 0))
        finally:
            os.close(fd)


@pytest.fixture
def receiver(tmp_path):
    r = Receiver(tmp_path / "socket")
    yield r
    r.sock.close()


@pytest.mark.parametrize(
    ("key", "sanitized"),
    [("com.example.team", "COM_EXAMPLE_TEAM"), ("_private", "PRIVATE"), ("a-b c", "A_B_C"), ("__", ""), ("Ab9", "AB9")],
)
def test_keys_are_sanitized_as_docker_does(key, sanitized):
    assert sanitize_key(key) == sanitized


def test_entries_carry_dockers_fields(info, receiver):
    driver = JournaldDriver(
        info, parse_options({"labels": "com.example.team", "env": "A", "tag": "{{.Name}}"}), receiver.path
    )
    driver.ship([Message(b"hello", "stdout", T), Message(b"oops", "stderr", T + 1)])
    first, second = receiver.entry(), receiver.entry()
    assert first == {
        "PRIORITY": b"6",
        "MESSAGE": b"hello",
        "CONTAINER_ID": CONTAINER_ID[:12].encode(),
        "CONTAINER_ID_FULL": CONTAINER_ID.encode(),
        "CONTAINER_NAME": b"foobar",
        "CONTAINER_TAG": b"foobar",
        "IMAGE_NAME": b"hello-world",
        "SYSLOG_IDENTIFIER": b"foobar",
        "CONTAINER_LOG_EPOCH": first["CONTAINER_LOG_EPOCH"],
        "COM_EXAMPLE_TEAM": b"web",
        "A": b"2",
        "SYSLOG_TIMESTAMP": b"2024-05-01T12:00:00.123456789Z",
        "CONTAINER_LOG_ORDINAL": b"1",
    }
    assert len(first["CONTAINER_LOG_EPOCH"]) == 64
    assert (second["PRIORITY"], second["MESSAGE"], second["CONTAINER_LOG_ORDINAL"]) == (b"3", b"oops", b"2")
    assert second["CONTAINER_LOG_EPOCH"] == first["CONTAINER_LOG_EPOCH"]


def test_pieces_of_a_cut_line_and_values_with_newlines(info, receiver):
    labelled = info.__class__(**{**{f: getattr(info, f) for f in info.__slots__}, "labels": {"note": "a\nb"}})
    driver = JournaldDriver(labelled, parse_options({"labels": "note"}), receiver.path)
    chain = "c" * 64
    driver.ship(
        [
            Message(b"x" * 16384, "stdout", T, PartialMeta(chain, 1, False)),
            Message(b"y", "stdout", T, PartialMeta(chain, 2, True)),
        ]
    )
    first, last = receiver.entry(), receiver.entry()
    assert first["NOTE"] == b"a\nb"  # the binary form: a length, then the value
    assert (first["CONTAINER_PARTIAL_ID"], first["CONTAINER_PARTIAL_ORDINAL"]) == (chain.encode(), b"1")
    assert (first["CONTAINER_PARTIAL_LAST"], first["CONTAINER_PARTIAL_MESSAGE"]) == (b"false", b"true")
    assert (last["CONTAINER_PARTIAL_ORDINAL"], last["CONTAINER_PARTIAL_LAST"]) == (b"2", b"true")
    assert "CONTAINER_PARTIAL_MESSAGE" not in last


def test_whole_lines_beside_a_piece_keep_their_own_times_and_numbers(info, receiver):
    driver = JournaldDriver(info, parse_options({}), receiver.path)
    later = T + 1_500_000_000
    driver.ship(
        [
            Message(b"before", "stdout", later),
            Message(b"x" * 16384, "stderr", T, PartialMeta("c" * 64, 1, False)),
            Message(b"after", "stdout", T),
        ]
    )
    entries = [receiver.entry() for _ in range(3)]
    assert [(e["MESSAGE"][:6], e["SYSLOG_TIMESTAMP"], e["CONTAINER_LOG_ORDINAL"]) for e in entries] == [
        (b"before", format_ns(later).encode(), b"1"),
        (b"xxxxxx", format_ns(T).encode(), b"2"),
        (b"after", format_ns(T).encode(), b"3"),
    ]
    assert [e["PRIORITY"] for e in entries] == [b"6", b"3", b"6"]


def test_an_entry_too_large_for_a_datagram_goes_in_a_sealed_memfd(info, receiver):
    big = info.__class__(**{**{f: getattr(info, f) for f in info.__slots__}, "labels": {"big": "v" * 400_000}})
    receiver.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    JournaldDriver(big, parse_options({"labels": "big"}), receiver.path).ship([Message(b"large", "stdout", T)])
    entry = receiver.entry()
    assert entry["MESSAGE"] == b"large" and entry["BIG"] == b"v" * 400_000


def test_a_large_entry_in_a_batch_goes_in_its_place(info, receiver):
    driver = JournaldDriver(info, parse_options({}), receiver.path)
    driver.ship([Message(b"a", "stdout", T), Message(b"b" * 400_000, "stdout", T), Message(b"c", "stdout", T)])
    entries = [receiver.entry() for _ in range(3)]
    assert [(e["MESSAGE"][:1], e["CONTAINER_LOG_ORDINAL"]) for e in entries] == [
        (b"a", b"1"),
        (b"b", b"2"),
        (b"c", b"3"),
    ]
    assert len(entries[1]["MESSAGE"]) == 400_000


def test_a_journal_gone_amid_a_batch_reports_what_went_and_numbers_the_rest_again(info, tmp_path):
    """The journal takes 5 entries and exits while the driver is blocked on its full queue: what its queue held
    counts as sent (a datagram queued is journald's); the rest are sent again, numbered on from there."""
    path = tmp_path / "socket"
    first = Receiver(path)
    taken = []

    def take_five_and_exit():
        try:
            taken.extend(first.entry() for _ in range(5))
        finally:
            first.sock.close()

    reader = threading.Thread(target=take_five_and_exit)
    reader.start()
    messages = [Message(b"line %d" % i, "stdout", T) for i in range(2000)]
    driver = JournaldDriver(info, parse_options({}), str(path))
    try:
        with pytest.raises(DeliveryFailed) as caught:
            driver.ship(messages)
    finally:
        reader.join()
    delivered = caught.value.delivered
    assert 5 <= delivered < len(messages)
    assert [e["CONTAINER_LOG_ORDINAL"] for e in taken] == [b"1", b"2", b"3", b"4", b"5"]
    path.unlink()
    second = Receiver(path)
    try:
        second.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        driver.ship(messages[delivered : delivered + 3])
        entries = [second.entry() for _ in range(3)]
    finally:
        second.sock.close()
    expected = [(b"line %d" % i, b"%d" % (i + 1)) for i in range(delivered, delivered + 3)]
    assert [(e["MESSAGE"], e["CONTAINER_LOG_ORDINAL"]) for e in entries] == expected


def test_a_missing_journal_fails_the_attempt_and_numbers_the_entry_again(info, tmp_path):
    driver = JournaldDriver(info, parse_options({}), str(tmp_path / "absent"))
    with pytest.raises(DeliveryFailed) as caught:
        driver.ship([Message(b"a", "stdout", T)])
    assert caught.value.delivered == 0
    receiver = Receiver(tmp_path / "absent")
    driver.ship([Message(b"a", "stdout", T)])
    assert receiver.entry()["CONTAINER_LOG_ORDINAL"] == b"1"


def test_a_journal_restarted_between_batches_gets_the_failed_batch_numbered_on(info, tmp_path):
    path = tmp_path / "socket"
    first = Receiver(path)
    driver = JournaldDriver(info, parse_options({}), str(path))
    driver.ship([Message(b"a", "stdout", T)])
    assert first.entry()["CONTAINER_LOG_ORDINAL"] == b"1"
    first.sock.close()
    path.unlink()
    with pytest.raises(DeliveryFailed) as caught:
        driver.ship([Message(b"b", "stdout", T), Message(b"c", "stdout", T)])
    assert caught.value.delivered == 0
    second = Receiver(path)
    driver.ship([Message(b"b", "stdout", T), Message(b"c", "stdout", T)])
    entries = [second.entry(), second.entry()]
    assert [(e["MESSAGE"], e["CONTAINER_LOG_ORDINAL"]) for e in entries] == [(b"b", b"2"), (b"c", b"3")]
    second.sock.close()


def test_unknown_options_are_refused_with_dockers_text():
    with pytest.raises(Exception) as caught:
        parse_options({"journald-path": "/x"})
    assert str(caught.value) == "unknown log opt 'journald-path' for journald log driver"
