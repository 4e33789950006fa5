import threading

import pytest

from logdrivers.driver import DropCounts
from logdrivers.dropstats import read_failed_lines
from logdrivers.errors import LogDriverError
from logdrivers.message import LineBatch, Message
from logdrivers.nonblocking import NonBlockingDriver


class GatedDriver:
    """Blocks on its first entry until the gate opens, then records what it gets."""

    name = "gated"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.got: list[bytes] = []
        self.closed = False

    def log(self, msg: Message) -> None:
        self._take(msg.line + b"\n")

    def log_batch(self, batch: LineBatch) -> None:
        self._take(batch.data)

    def _take(self, data: bytes) -> None:
        self.entered.set()
        assert self.gate.wait(timeout=10)
        self.got.append(data)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def gated():
    inner = GatedDriver()
    drivers: list[NonBlockingDriver] = []

    def wrap(max_bytes: int) -> NonBlockingDriver:
        drivers.append(NonBlockingDriver(inner, max_bytes))
        return drivers[-1]

    yield inner, wrap
    inner.gate.set()
    for driver in drivers:
        driver.close()


def batch(data: bytes) -> LineBatch:
    return LineBatch("stdout", 0, data)


def test_overflow_drops_the_newest_and_counts_every_line(gated):
    inner, wrap = gated
    driver = wrap(max_bytes=10)
    driver.log_batch(batch(b"x\n"))
    assert inner.entered.wait(timeout=5)  # the feeder holds "x" inside the driver; the queue is empty
    driver.log_batch(batch(b"1234\n"))  # 4 of 10 bytes
    driver.log_batch(batch(b"ab\ncdefgh\n"))  # 8 more: "ab" fits, "cdefgh" is dropped
    driver.log(Message(b"f", "stdout", 0))  # 7 of 10
    driver.log(Message(b"gggg", "stdout", 0))  # would make 11: dropped
    driver.log_batch(batch(b"hh\niii\n"))  # 3 bytes of room: "hh" fits, "iii" is dropped
    assert driver.drops() == DropCounts(lines=3, bytes=6 + 4 + 3)
    inner.gate.set()
    driver.close()
    assert b"".join(inner.got) == b"x\n1234\nab\nf\nhh\n"
    assert inner.closed


def test_an_empty_queue_takes_one_oversized_entry(gated):
    inner, wrap = gated
    driver = wrap(max_bytes=2)
    driver.log_batch(batch(b"a much longer line\n"))
    inner.gate.set()
    driver.close()
    assert inner.got == [b"a much longer line\n"]
    assert driver.drops() == DropCounts()


def test_close_delivers_everything_queued(gated):
    inner, wrap = gated
    driver = wrap(max_bytes=1_000_000)
    for i in range(100):
        driver.log(Message(b"%d" % i, "stdout", 0))
    inner.gate.set()
    driver.close()
    assert b"".join(inner.got) == b"".join(b"%d\n" % i for i in range(100))


def test_driver_errors_are_counted_not_raised(tmp_path):
    class Failing:
        name = "failing"

        def log(self, msg):
            raise LogDriverError("collector down")

        def close(self):
            pass

    failures = tmp_path / "log-write-failures.json"
    driver = NonBlockingDriver(Failing(), 1000, failures_path=str(failures))
    driver.log(Message(b"a", "stdout", 0))
    driver.log_batch(batch(b"b\nc\n"))
    driver.close()
    assert driver.failures.entries == 3
    assert read_failed_lines(failures) == 3  # saved for the daemon's metrics
