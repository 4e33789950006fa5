"""Shipping a json-file log through a remote driver: order, outages, restarts, rotation losses, removal."""

import os
import threading
import time

import pytest

from logdrivers.errors import LogFileError
from logdrivers.fluentd.driver import FluentdDriver
from logdrivers.fluentd.options import parse_options
from logdrivers.jsonfile.driver import create_json_file
from logdrivers.jsonfile.numbering import read_first_line
from logdrivers.jsonfile.options import parse_options as json_options
from logdrivers.message import LineBatch, Message
from logdrivers.shipping.cursor import LogCursor
from logdrivers.shipping.files import OpenLogFile, list_log_files
from logdrivers.shipping.shipper import Shipper, ShipperConfig
from logdrivers.shipping.state import load_state, state_path
from tests.support.collectors import ForwardServer
from tests.support.waiting import wait_for

FAST = ShipperConfig(batch_lines=100, idle_wait_s=0.02, removal_drain_s=1.0)


class Writer:
    """The shim's side: the json-file cache, written line by line."""

    def __init__(self, info, **opts):
        self.driver = create_json_file(info, json_options(opts))
        self.count = 0

    def write(self, n, source="stdout"):
        data = b"".join(b"line %d\n" % (self.count + i) for i in range(n))
        self.driver.log_batch(LineBatch(source, time.time_ns(), data))
        self.count += n

    def expected(self, start=0):
        return [b"line %d" % i for i in range(start, self.count)]


def arrived(server, count):
    """A finished shipper has handed its lines to the kernel; the collector may still be reading them."""
    wait_for(lambda: len(server.events) >= count, 5, 0.01, f"{count} lines at the collector")


@pytest.fixture
def server():
    s = ForwardServer()
    yield s
    s.stop()


def make_shipper(info, server, running, port=None, config=FAST):
    driver = FluentdDriver(
        info, parse_options({"fluentd-address": f"127.0.0.1:{port or server.port}", "fluentd-retry-wait": "50ms"})
    )
    shipper = Shipper(
        container_id=info.id,
        container_name=info.name,
        driver_name="fluentd",
        driver=driver,
        log_path=info.log_path,
        state_path=state_path(info.log_path),
        still_running=running.is_set,
        config=config,
    )
    shipper.start()
    return shipper


def test_rotated_files_are_numbered_by_line(info):
    writer = Writer(info, **{"max-size": "1k", "max-file": "3"})
    for _ in range(50):
        writer.write(3)
    writer.driver.close()
    files = sorted(info.log_path.parent.glob(info.log_path.name + "*"))
    numbers = {f.name[len(info.log_path.name) :]: read_first_line(f) for f in files}
    assert numbers[""] > numbers[".1"] > numbers[".2"]
    assert numbers[""] == 150 - sum(1 for _ in open(info.log_path))  # lines before the current file


def test_cursor_reads_everything_in_order_across_rotation_and_compression(info):
    writer = Writer(info, **{"max-size": "2k", "max-file": "5", "compress": "true"})
    cursor = LogCursor(info.log_path, None)
    got = []
    for _ in range(40):
        writer.write(5)
        got += [m.line for m in cursor.read(1000)]
    writer.driver.close()
    got += [m.line for m in cursor.read(1000)]
    cursor.close()
    assert got == writer.expected() and cursor.lost_lines == 0


def test_cursor_resumes_in_a_compressed_file_and_counts_what_rotation_removed(info):
    writer = Writer(info, **{"max-size": "1k", "max-file": "2", "compress": "true"})
    writer.write(10)
    cursor = LogCursor(info.log_path, None)
    assert [m.line for m in cursor.read(4)] == writer.expected()[:4]
    position = cursor.position
    cursor.close()
    writer.write(10)  # the file read from becomes .1.gz (another inode), compressed on the writer's thread
    rotated = info.log_path.with_name(info.log_path.name + ".1")
    gz = rotated.with_name(rotated.name + ".gz")
    wait_for(lambda: gz.exists() and not rotated.exists(), 5, 0.01, "the rotated file compressed")
    cursor = LogCursor(info.log_path, position)
    assert [m.line for m in cursor.read(1)] == [b"line 4"]
    cursor.close()
    for _ in range(20):
        writer.write(10)  # far more than two files: lines 4.. are rotated away
    writer.driver.close()
    cursor = LogCursor(info.log_path, position)
    rest = [m.line for m in cursor.read(10_000)]
    cursor.close()
    first_kept = int(rest[0].split()[1])
    assert rest == writer.expected(first_kept)
    assert cursor.lost_lines == first_kept - 4


def test_lines_arrive_in_order_through_a_collector_outage(info, server):
    writer, running = Writer(info), threading.Event()
    running.set()
    shipper = make_shipper(info, server, running)
    try:
        writer.write(100)
        wait_for(lambda: len(server.events) == 100, 5, 0.01, "the first lines")
        server.stop()
        for _ in range(10):
            writer.write(50)  # the writer is never held up by the outage
        wait_for(lambda: shipper.stats().retrying, 5, 0.01, "a failed attempt")
        stats = shipper.stats()
        assert stats.lag_bytes > 0 and stats.lag_seconds > 0 and stats.counters.errors >= 1
        server.start()
        wait_for(lambda: len(set(server.logs())) == 600, 10, 0.01, "every line after the outage")
        running.clear()
        assert shipper.wait_finished(5)
    finally:
        shipper.stop()
    logs = server.logs()
    assert sorted(set(logs), key=logs.index) == writer.expected()  # in order; a resent batch may repeat
    stats = shipper.stats()
    assert stats.counters.shipped_lines == 600 and stats.lag_bytes == 0 and stats.lag_seconds == 0


def test_a_restarted_shipper_resumes_after_the_last_shipped_batch(info, server):
    writer, running = Writer(info), threading.Event()
    running.set()
    writer.write(250)
    shipper = make_shipper(info, server, running)
    wait_for(lambda: len(server.events) == 250, 5, 0.01, "the first lines")
    shipper.stop()
    assert load_state(state_path(info.log_path)).counters.shipped_lines == 250
    writer.write(100)
    shipper = make_shipper(info, server, running)
    try:
        wait_for(lambda: len(server.events) == 350, 5, 0.01, "the lines written while stopped")
        time.sleep(0.1)  # nothing more may come
    finally:
        running.clear()
        shipper.stop()
    assert server.logs() == writer.expected()  # exactly once after a clean stop
    assert shipper.stats().counters.resumes == 1


def test_lines_rotated_away_during_an_outage_are_counted(info, server):
    writer, running = Writer(info, **{"max-size": "1k", "max-file": "2"}), threading.Event()
    running.set()
    server.stop()
    shipper = make_shipper(info, server, running)
    try:
        for _ in range(30):
            writer.write(10)
        server.start()
        running.clear()
        assert shipper.wait_finished(10)
        arrived(server, shipper.stats().counters.shipped_lines)
    finally:
        shipper.stop()
    counters = shipper.stats().counters
    delivered = set(server.logs())
    assert len(delivered) + counters.rotated_away_lines == 300
    assert counters.rotated_away_lines > 0 and counters.shipped_lines == len(delivered)


def test_removal_keeps_the_unread_files_and_drains_them(info, server):
    writer, running = Writer(info, **{"max-size": "1k", "max-file": "5"}), threading.Event()
    running.set()
    server.stop()
    shipper = make_shipper(info, server, running)
    try:
        writer.write(1)
        wait_for(lambda: shipper.stats().retrying, 5, 0.01, "a failed attempt")  # it holds the first file
        for _ in range(6):
            writer.write(10)
        writer.driver.close()
        running.clear()
        shipper.container_removed()
        for path in info.log_path.parent.iterdir():
            path.unlink()  # docker rm
        server.start()
        assert shipper.wait_finished(10)
        arrived(server, 61)
    finally:
        shipper.stop()
    assert server.logs() == writer.expected()


def test_after_removal_the_drain_gives_up_and_counts(info, server):
    writer, running = Writer(info), threading.Event()
    server.stop()
    writer.write(30)
    writer.driver.close()
    shipper = make_shipper(info, server, running)
    try:
        wait_for(lambda: shipper.stats().retrying, 5, 0.01, "a failed attempt")
        shipper.container_removed()
        assert shipper.wait_finished(10)
    finally:
        shipper.stop()
    assert shipper.stats().counters.removed_unsent_lines == 30


def test_a_driver_without_ship_is_fed_line_by_line_and_retried(info):
    class Flaky:
        name = "flaky"

        def __init__(self):
            self.lines, self.calls = [], 0

        def log(self, msg: Message):
            self.calls += 1
            if self.calls % 7 == 0:
                raise ValueError("plugin hiccup")
            self.lines.append(msg.line)

        def close(self):
            pass

    writer, running, flaky = Writer(info), threading.Event(), Flaky()
    writer.write(50)
    shipper = Shipper(
        container_id=info.id,
        container_name=info.name,
        driver_name="flaky",
        driver=flaky,
        log_path=info.log_path,
        state_path=state_path(info.log_path),
        still_running=running.is_set,
        config=FAST,
    )
    import logdrivers.shipping.shipper as shipper_module

    shipper_module.DEFAULT_RETRY_DELAY_S, saved = 0.01, shipper_module.DEFAULT_RETRY_DELAY_S
    try:
        shipper.start()
        assert shipper.wait_finished(10)
    finally:
        shipper_module.DEFAULT_RETRY_DELAY_S = saved
        shipper.stop()
    assert flaky.lines == writer.expected()
    assert shipper.stats().counters.errors == 50 // 6


def test_a_damaged_state_file_restarts_from_the_oldest_line_and_counts_an_error(info, server):
    writer, running = Writer(info), threading.Event()
    writer.write(20)
    state_path(info.log_path).write_text("{not json")
    shipper = make_shipper(info, server, running)
    try:
        assert shipper.wait_finished(10)
        arrived(server, 20)
    finally:
        shipper.stop()
    assert server.logs() == writer.expected()
    assert shipper.stats().counters.errors == 1


def test_removal_does_not_wait_for_a_long_back_off(info):
    server = ForwardServer()
    server.stop()
    writer, running = Writer(info, **{"max-size": "1k", "max-file": "5"}), threading.Event()
    for _ in range(5):
        writer.write(10)
    writer.driver.close()
    driver = FluentdDriver(
        info, parse_options({"fluentd-address": f"127.0.0.1:{server.port}", "fluentd-retry-wait": "60s"})
    )
    shipper = Shipper(
        container_id=info.id,
        container_name=info.name,
        driver_name="fluentd",
        driver=driver,
        log_path=info.log_path,
        state_path=state_path(info.log_path),
        still_running=running.is_set,
        config=FAST,
    )
    shipper.start()
    try:
        wait_for(lambda: shipper.stats().retrying, 5, 0.01, "a failed attempt")
        started = time.monotonic()
        shipper.container_removed()
        assert time.monotonic() - started < 2  # the pin is served at once, not after the 60 s back-off
        for path in info.log_path.parent.iterdir():
            path.unlink()
        assert shipper.wait_finished(5)  # gave up after removal_drain_s, not after the back-off
    finally:
        shipper.stop()
    assert shipper.stats().counters.removed_unsent_lines == 50


def test_damaged_lines_and_a_torn_last_line_are_skipped_and_counted(info):
    writer = Writer(info, **{"max-size": "1k", "max-file": "5"})
    writer.write(3)
    with open(info.log_path, "ab") as f:
        f.write(b"\0\0not json\n")
        f.write(b'{"log":"torn')  # a crash mid-write: no newline; the next entry is glued to it, as in Docker
    writer.write(20)
    writer.driver.close()
    cursor = LogCursor(info.log_path, None)
    got = [m.line for m in cursor.read(1000)]
    cursor.close()
    assert got == [line for line in writer.expected() if line != b"line 3"]
    assert cursor.skipped_lines == 2


def test_a_file_replaced_since_it_was_listed_reads_as_gone(tmp_path):
    """As a rotation does between a shipper's listing and its open: the cursor must take it for a file that
    moved on and list again, not for a failure that stops the shipping (it did, under load)."""
    log = tmp_path / "c-json.log"
    log.write_bytes(b'{"log":"a\\n"}\n')
    listed = list_log_files(log)[-1]
    newer = tmp_path / "c-json.log.new"
    newer.write_bytes(b"")
    os.rename(newer, log)
    with pytest.raises(LogFileError) as caught:
        OpenLogFile(listed)
    assert isinstance(caught.value.__cause__, FileNotFoundError)
