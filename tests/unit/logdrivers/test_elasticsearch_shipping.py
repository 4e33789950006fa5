"""Shipping by place (logdrivers.shipping.positioned), which the elasticsearch driver's document ids and
joined lines rest on: each entry's place resumes exactly before it, across damage and rotation, and what a
driver leaves for later is neither lost nor sent twice across a restart."""

import threading
import time

from logdrivers.jsonfile.driver import create_json_file
from logdrivers.jsonfile.options import parse_options as json_options
from logdrivers.message import LineBatch
from logdrivers.shipping.cursor import LogCursor, Position
from logdrivers.shipping.positioned import Shipped
from logdrivers.shipping.shipper import Shipper, ShipperConfig
from logdrivers.shipping.state import load_state, state_path
from tests.support.waiting import wait_for

FAST = ShipperConfig(batch_lines=7, idle_wait_s=0.02)


def write(info, count, start=0, **opts):
    driver = create_json_file(info, json_options(opts))
    for i in range(start, start + count):
        driver.log_batch(LineBatch("stdout", time.time_ns(), b"line %d\n" % i))
    driver.close()


def read_all(path, position=None):
    cursor = LogCursor(path, position)
    positions: list = []
    try:
        messages = cursor.read(10_000, positions)
    finally:
        cursor.close()
    return [m.line for m in messages], positions


def test_each_entrys_place_resumes_right_before_it(info):
    write(info, 12)
    lines, positions = read_all(info.log_path)
    assert len(positions) == len(lines) == 12
    assert [p[3] for p in positions] == list(range(12))  # numbered: the line number of each entry
    for k in (0, 5, 11):
        assert read_all(info.log_path, Position(*positions[k]))[0] == lines[k:]


def test_places_skip_damaged_lines_and_still_resume_exactly(info):
    write(info, 3)
    with open(info.log_path, "ab") as log:
        log.write(b"not json\n")
    write(info, 3, start=3)
    lines, positions = read_all(info.log_path)
    assert lines == [b"line %d" % i for i in range(6)] and len(positions) == 6
    assert [p[3] for p in positions] == [0, 1, 2, 4, 5, 6]  # the damaged line keeps its number
    assert read_all(info.log_path, Position(*positions[3]))[0] == lines[3:]


def test_places_number_lines_across_rotation(info):
    write(info, 60, **{"max-size": "1k", "max-file": "10"})
    lines, positions = read_all(info.log_path)
    assert lines == [b"line %d" % i for i in range(60)]
    assert [p[3] for p in positions] == list(range(60)) and len({(p[0], p[1]) for p in positions}) > 1
    assert read_all(info.log_path, Position(*positions[40]))[0] == lines[40:]


class HalfTaker:
    """A positioned driver that takes half of what it is offered (the rest must come again, first)."""

    name = "half"

    def __init__(self):
        self.received: list[tuple[bytes, tuple]] = []

    def ship_entries(self, entries, positions, final):
        taken = len(entries) if final else len(entries) // 2
        self.received += list(zip([m.line for m in entries[:taken]], positions[:taken], strict=True))
        return Shipped(taken)

    def retry_delay(self, failures):
        return 0.01

    def log(self, msg):
        raise AssertionError("a positioned driver is shipped by ship_entries")

    def close(self):
        return


def test_what_a_driver_leaves_is_offered_again_and_survives_a_restart(info):
    write(info, 30)
    running = threading.Event()
    running.set()
    first = HalfTaker()
    shipper = Shipper(
        container_id=info.id,
        container_name=info.name,
        driver_name="half",
        driver=first,
        log_path=info.log_path,
        state_path=state_path(info.log_path),
        still_running=running.is_set,
        config=FAST,
    )
    shipper.start()
    wait_for(lambda: len(first.received) >= 20, 5, 0.01, "most lines taken")
    shipper.stop()  # holding some: the recorded place is the first line not taken
    state = load_state(state_path(info.log_path))
    assert state.position.line == len(first.received) == state.counters.shipped_lines
    assert [line for line, _ in first.received] == [b"line %d" % i for i in range(len(first.received))]
    running.clear()
    second = HalfTaker()
    shipper = Shipper(
        container_id=info.id,
        container_name=info.name,
        driver_name="half",
        driver=second,
        log_path=info.log_path,
        state_path=state_path(info.log_path),
        still_running=running.is_set,
        config=FAST,
    )
    shipper.start()
    assert shipper.wait_finished(5)
    everything = [line for line, _ in first.received + second.received]
    assert everything == [b"line %d" % i for i in range(30)]  # none lost, none twice
    assert [place[3] for _, place in first.received + second.received] == list(range(30))
