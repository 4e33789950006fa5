import gzip
import queue
import threading
import time
from pathlib import Path

import pytest

from logdrivers.driver import ReadConfig
from logdrivers.jsonfile import watch
from logdrivers.jsonfile.encode import EntryEncoder
from logdrivers.jsonfile.gzipfile import gzip_header
from logdrivers.jsonfile.logfile import RotatingLogFile
from logdrivers.jsonfile.reader import JsonFileReader
from logdrivers.message import Message

T0 = 1795829461_000000000
SECOND = 1_000_000_000
ENCODER = EntryEncoder({})


def entry(i: int, source: str = "stdout") -> bytes:
    return ENCODER.encode_message(Message(f"line{i}".encode(), source, T0 + i * SECOND))


def write_rotated(path: Path, count: int, compress: bool) -> None:
    """`count` entries, two per file, in a log that keeps four files (".3", ".2", ".1", current)."""
    log = RotatingLogFile(path, max_size=2 * len(entry(0)), max_file=4, compress=compress)
    try:
        for i in range(count):
            log.write(entry(i), T0 + i * SECOND)
    finally:
        log.close()


def lines(messages) -> list[bytes]:
    return [m.line for m in messages]


def read(path: Path, **cfg) -> list[bytes]:
    return lines(JsonFileReader(path).read_logs(ReadConfig(**cfg), lambda: False))


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "c-json.log"


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_reads_rotated_files_in_order(log_path, compress):
    write_rotated(log_path, 10, compress)  # lines 0,1 were rotated away; .3 .2 .1 current hold 2..9
    suffix = ".gz" if compress else ""
    assert sorted(p.name for p in log_path.parent.iterdir()) == [
        "c-json.log",
        f"c-json.log.1{suffix}",
        f"c-json.log.2{suffix}",
        f"c-json.log.3{suffix}",
    ]
    assert read(log_path) == [f"line{i}".encode() for i in range(2, 10)]


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize(
    "tail, expected",
    [(0, []), (1, [9]), (3, [7, 8, 9]), (5, [5, 6, 7, 8, 9]), (8, list(range(2, 10))), (100, list(range(2, 10)))],
)
def test_tail_counts_entries_across_rotated_files(log_path, compress, tail, expected):
    write_rotated(log_path, 10, compress)
    assert read(log_path, tail=tail) == [f"line{i}".encode() for i in expected]


@pytest.mark.parametrize(
    "cfg, expected",
    [
        ({"since_ns": T0 + 6 * SECOND}, [6, 7, 8, 9]),
        ({"since_ns": T0 + 6 * SECOND + 1}, [7, 8, 9]),
        ({"until_ns": T0 + 6 * SECOND}, [2, 3, 4, 5, 6]),
        ({"since_ns": T0 + 5 * SECOND, "until_ns": T0 + 7 * SECOND}, [5, 6, 7]),
        ({"tail": 3, "since_ns": T0 + 8 * SECOND}, [8, 9]),
    ],
    ids=["since inclusive", "since", "until", "window", "tail then since"],
)
def test_since_until(log_path, cfg, expected):
    write_rotated(log_path, 10, compress=True)
    assert read(log_path, **cfg) == [f"line{i}".encode() for i in expected]


def test_since_skips_a_compressed_file_by_its_last_time(log_path):
    # The header says its last entry is old, so the file is not even inflated (its entries are newer).
    rotated = log_path.with_name("c-json.log.1.gz")
    rotated.write_bytes(gzip_header(T0) + gzip.compress(entry(9))[10:])
    log_path.write_bytes(entry(10))
    assert read(log_path, since_ns=T0 + 5 * SECOND) == [b"line10"]
    assert read(log_path) == [b"line9", b"line10"]


def test_streams_filtered_after_tail(log_path):
    log_path.write_bytes(entry(1, "stdout") + entry(2, "stderr") + entry(3, "stdout"))
    assert read(log_path, stderr=False) == [b"line1", b"line3"]
    assert read(log_path, stdout=False) == [b"line2"]
    assert read(log_path, stdout=False, tail=1) == []


def test_damaged_lines_are_skipped_never_fatal(log_path):
    log_path.write_bytes(
        entry(1)
        + b'{"log":"half-writ\n'  # a crash mid-write
        + b"\x00" * 300
        + entry(2)  # NULs left by a crash before the next good entry (Docker #29511)
        + b"\x00\x00\x00\n"
        + b"not json\n"
        + b'{"log":"no time"}\n'
        + entry(3)
        + b'{"log":"unterminated'  # still being written: not an entry yet
    )
    reader = JsonFileReader(log_path)
    assert lines(reader.read_logs(ReadConfig(), lambda: False)) == [b"line1", b"line2", b"line3"]
    assert reader.skipped_lines == 4


def test_partial_pieces_come_back_as_a_chain(log_path):
    log_path.write_bytes(
        b'{"log":"aaa","stream":"stdout","time":"2026-11-28T01:31:01Z"}\n'
        b'{"log":"x\\n","stream":"stderr","time":"2026-11-28T01:31:01Z"}\n'
        b'{"log":"bbb","stream":"stdout","time":"2026-11-28T01:31:01Z"}\n'
        b'{"log":"c\\n","stream":"stdout","attrs":{"tag":"t"},"time":"2026-11-28T01:31:01Z"}\n'
    )
    messages = list(JsonFileReader(log_path).read_logs(ReadConfig(), lambda: False))
    chain = [m for m in messages if m.source == "stdout"]
    assert [(m.line, m.partial.ordinal, m.partial.last) for m in chain] == [
        (b"aaa", 1, False),
        (b"bbb", 2, False),
        (b"c", 3, True),
    ]
    assert len({m.partial.id for m in chain}) == 1 and len(chain[0].partial.id) == 64
    assert b"".join(m.printed() for m in chain) == b"aaabbbc\n"
    assert messages[1].partial is None and messages[1].printed() == b"x\n"
    assert chain[2].attrs == {"tag": "t"} and chain[2].timestamp_ns == T0


class Follower:
    """Runs a following read on a thread, so the test can write and wait for what it sees."""

    def __init__(self, path: Path, **cfg) -> None:
        self.running = True
        self.stop = threading.Event()
        self.seen: queue.Queue[tuple[bytes, float]] = queue.Queue()
        reader = JsonFileReader(path)
        self._messages = reader.read_logs(ReadConfig(follow=True, stop=self.stop, **cfg), lambda: self.running)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for msg in self._messages:
            self.seen.put((msg.line, time.monotonic()))

    def next_line(self, timeout: float = 5.0) -> tuple[bytes, float]:
        return self.seen.get(timeout=timeout)

    def finish(self) -> None:
        self.running = False
        self.thread.join(timeout=5)

    def ended(self) -> bool:
        return not self.thread.is_alive()


@pytest.fixture
def follow(log_path):
    followers: list[Follower] = []

    def start(**cfg) -> Follower:
        followers.append(Follower(log_path, **cfg))
        return followers[-1]

    yield start
    for follower in followers:
        follower.stop.set()
        follower.finish()


def test_follow_sees_a_line_written_later_within_milliseconds(log_path, follow):
    log = RotatingLogFile(log_path, max_size=None, max_file=1, compress=False)
    try:
        log.write(entry(1), T0)
        follower = follow(tail=0)
        time.sleep(0.05)  # let the follower reach its wait (the latency below is what is measured)
        written = time.monotonic()
        log.write(entry(2), T0)
        line, seen_at = follower.next_line()
        assert line == b"line2"
        assert seen_at - written < 0.05, f"{(seen_at - written) * 1000:.1f} ms"
    finally:
        log.close()
    follower.finish()
    assert follower.ended() and follower.seen.empty()


def test_follow_ends_after_draining_when_the_container_stops(log_path, follow):
    log_path.write_bytes(entry(1))
    follower = follow()
    assert follower.next_line()[0] == b"line1"
    with open(log_path, "ab") as f:
        f.write(entry(2))
    follower.finish()
    assert follower.ended()
    assert follower.next_line(timeout=0)[0] == b"line2"


def test_follow_crosses_rotations_in_order(log_path, follow):
    follower = follow()  # before the file exists: waits for it
    log = RotatingLogFile(log_path, max_size=len(entry(0)), max_file=3, compress=True)
    try:
        for i in range(10):
            log.write(entry(i), T0 + i * SECOND)
            assert follower.next_line()[0] == f"line{i}".encode()
    finally:
        log.close()
    follower.finish()
    assert follower.ended()


def test_follow_completes_a_line_being_written(log_path, follow):
    whole = entry(1)
    log_path.write_bytes(whole[:10])
    follower = follow()
    with open(log_path, "ab") as f:
        f.write(whole[10:])
    assert follower.next_line()[0] == b"line1"


def test_stop_event_ends_a_follower_of_a_running_container(log_path, follow):
    log_path.write_bytes(entry(1))
    follower = follow()
    assert follower.next_line()[0] == b"line1"
    follower.stop.set()
    follower.thread.join(timeout=5)
    assert follower.ended() and follower.running


def test_follow_without_inotify_polls(log_path, follow, monkeypatch):
    def no_inotify(directory):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(watch, "_inotify_fd", no_inotify)
    follower = follow()
    log_path.write_bytes(entry(5))
    assert follower.next_line()[0] == b"line5"


def test_a_follower_behind_by_several_rotations_skips_no_file(log_path):
    log = RotatingLogFile(log_path, max_size=len(entry(0)), max_file=5, compress=False)
    running, give_up = True, threading.Event()
    messages = JsonFileReader(log_path).read_logs(ReadConfig(follow=True, stop=give_up), lambda: running)
    deadline = threading.Timer(5, give_up.set)  # a reader that misses a file ends instead of hanging
    deadline.start()
    try:
        log.write(entry(0), T0)
        assert next(messages).line == b"line0"  # the reader now holds the first file open, and waits
        for i in (1, 2, 3):  # three rotations before the reader looks again: 0 is in .3, 1 in .2, 2 in .1
            log.write(entry(i), T0 + i * SECOND)
        assert [next(messages).line for _ in range(3)] == [b"line1", b"line2", b"line3"]
        running = False
        assert list(messages) == []
    finally:
        deadline.cancel()
        messages.close()
        log.close()
