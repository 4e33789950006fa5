import json
import logging
import os
import subprocess
import sys
import threading
import time

import pytest

from logdrivers.copier import Copier
from logdrivers.dropstats import read_failed_lines
from logdrivers.errors import LogDriverError
from logdrivers.message import MAX_LINE, LineBatch, Message
from tests.support.waiting import wait_for
from tests.unit.logdrivers.conftest import shim_writer


class MessageDriver:
    """A driver without log_batch: the copier must hand it one Message per line."""

    name = "recording"

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.closed = False

    def log(self, msg: Message) -> None:
        self.messages.append(msg)

    def close(self) -> None:
        self.closed = True


class BatchDriver(MessageDriver):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[LineBatch] = []

    def log_batch(self, batch: LineBatch) -> None:
        self.batches.append(batch)


@pytest.fixture
def run_program():
    """Run a Python snippet with its stdout and stderr on pipes that a Copier reads."""
    started: list[subprocess.Popen] = []
    fds: list[int] = []

    def run(code: str, driver, **copier_args) -> Copier:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        fds.extend((out_r, err_r))
        started.append(subprocess.Popen([sys.executable, "-c", code], stdout=out_w, stderr=err_w))
        os.close(out_w)
        os.close(err_w)
        copier = Copier({"stdout": out_r, "stderr": err_r}, driver, **copier_args)
        copier.run()
        return copier

    yield run
    for process in started:
        process.kill()
        process.wait()
    for fd in fds:
        os.close(fd)


WRITE = "import sys; o, e = sys.stdout.buffer, sys.stderr.buffer; "


def test_message_driver_gets_each_line_with_its_stream(run_program):
    driver = MessageDriver()
    code = WRITE + r"o.write(b'a\r\n\nb\n'); o.flush(); e.write(b'err\n'); e.flush(); o.write(b'prompt> ')"
    copier = run_program(code, driver, clock=lambda: 42)
    by_stream = {s: [(m.line, m.partial) for m in driver.messages if m.source == s] for s in ("stdout", "stderr")}
    assert by_stream["stderr"] == [(b"err", None)]
    assert [line for line, _ in by_stream["stdout"]] == [b"a\r", b"", b"b", b"prompt> "]
    eof_piece = by_stream["stdout"][-1][1]
    assert (eof_piece.ordinal, eof_piece.last, len(eof_piece.id)) == (1, False, 64)
    assert {m.timestamp_ns for m in driver.messages} == {42}
    assert driver.closed
    assert (copier.stats.lines, copier.stats.partial_chains, copier.stats.failed_writes) == (5, 1, 0)


def test_batch_driver_gets_batches_and_long_lines_as_pieces(run_program):
    driver = BatchDriver()
    code = WRITE + f"o.write(b'x' * {MAX_LINE * 2 + 5} + b'\\n' + b'1\\n2\\n')"
    run_program(code, driver)
    pieces = [(len(m.line), m.partial.ordinal, m.partial.last) for m in driver.messages]
    assert pieces == [(MAX_LINE, 1, False), (MAX_LINE, 2, False), (5, 3, True)]
    assert len({m.partial.id for m in driver.messages}) == 1
    assert len({m.timestamp_ns for m in driver.messages}) == 1
    assert b"".join(b.data for b in driver.batches) == b"1\n2\n"


def test_nul_and_invalid_utf8_reach_the_log_file(run_program, info):
    driver = shim_writer("json-file", {}, info)
    run_program(WRITE + r"o.write(b'\x00\xff ok\n'); o.flush(); e.write(b'\xe2\x82\n')", driver)
    logged = {json.loads(line)["stream"]: json.loads(line)["log"] for line in info.log_path.read_bytes().splitlines()}
    assert logged == {"stdout": "\x00\ufffd ok\n", "stderr": "\ufffd\ufffd\n"}


def test_seq_through_the_copier_into_json_file(info):
    driver = shim_writer("json-file", {}, info)
    read_fd, write_fd = os.pipe()
    seq = subprocess.Popen(["seq", "1", "100000"], stdout=write_fd)
    os.close(write_fd)
    try:
        Copier({"stdout": read_fd}, driver).run()
    finally:
        os.close(read_fd)
        seq.wait()
    lines = info.log_path.read_bytes().splitlines()
    assert len(lines) == 100000
    assert lines[0].startswith(b'{"log":"1\\n","stream":"stdout","time":"')
    assert [json.loads(line)["log"] for line in lines[-2:]] == ["99999\n", "100000\n"]


def test_refused_entries_are_counted_and_logged_once(run_program, caplog):
    class Refusing(MessageDriver):
        def log(self, msg):
            raise LogDriverError("disk gone")

    driver = Refusing()
    with caplog.at_level(logging.ERROR, logger="logdrivers"):
        copier = run_program(WRITE + r"o.write(b'a\nb\n'); o.flush(); o.write(b'c\n')", driver)
    assert copier.stats.failed_writes == 3
    assert driver.closed
    assert [r.getMessage() for r in caplog.records] == [
        "logdrivers: recording log driver: 1 entries lost since the last report: disk gone"
    ]


def test_refused_lines_are_saved_for_the_daemon_and_carry_over_a_restart(run_program, tmp_path):
    class Refusing(MessageDriver):
        def log(self, msg):
            raise OSError(28, "No space left on device")

    failures = tmp_path / "log-write-failures.json"
    copier = run_program(
        WRITE + r"o.write(b'a\nb\n'); o.flush(); o.write(b'c\n')", Refusing(), failures_path=str(failures)
    )
    assert copier.stats.failed_writes == 3
    assert read_failed_lines(failures) == 3
    run_program(WRITE + r"o.write(b'd\n')", Refusing(), failures_path=str(failures))  # the container's next run
    assert read_failed_lines(failures) == 4


def test_the_last_refused_lines_are_saved_once_writes_succeed_again(run_program, tmp_path):
    """The count is saved at most once a second while failures go on; the failures that end inside that second
    must not wait for the container's exit (a full disk freed while the container runs on)."""

    class RefusingTwice(MessageDriver):
        def log(self, msg):
            if len(self.messages) < 2:
                self.messages.append(msg)
                raise OSError(28, "No space left on device")

    failures, stop = tmp_path / "log-write-failures.json", tmp_path / "stop"
    program = (
        WRITE + "import os, time\nfor line in (b'a\\n', b'b\\n', b'c\\n'): o.write(line); o.flush(); time.sleep(0.2)\n"
    )
    program += f"while not os.path.exists({str(stop)!r}): time.sleep(0.05)"  # runs on, as the container would
    copying = threading.Thread(
        target=run_program, args=(program, RefusingTwice()), kwargs={"failures_path": str(failures)}
    )
    copying.start()
    try:
        wait_for(lambda: read_failed_lines(failures) == 2, 5, what="both refused lines counted in the file")
    finally:
        stop.touch()
        copying.join(timeout=10)


def test_a_copier_that_refuses_nothing_writes_no_failure_file(run_program, tmp_path):
    run_program(WRITE + r"o.write(b'a\n')", MessageDriver(), failures_path=str(tmp_path / "failures.json"))
    assert list(tmp_path.iterdir()) == []


def test_pty_eio_is_end_of_stream():
    driver = MessageDriver()
    master, slave = os.openpty()
    try:
        os.write(slave, b"from a tty\n")
        os.close(slave)
        Copier({"stdout": master}, driver).run()
    finally:
        os.close(master)
    assert [m.line for m in driver.messages] == [b"from a tty\r"]  # the tty's ONLCR adds the \r
    assert driver.closed


def test_a_terminal_prompt_is_flushed_without_its_newline():
    driver = MessageDriver()
    master, slave = os.openpty()
    copier = Copier({"stdout": master}, driver, flush_partial_after=0.01)
    reader = threading.Thread(target=copier.run)
    reader.start()
    try:
        os.write(slave, b"password: ")
        wait_for(lambda: driver.messages, 5, what="the prompt")
        assert [(m.line, m.partial.last) for m in driver.messages] == [(b"password: ", False)]
        os.write(slave, b"ok\n")
    finally:
        os.close(slave)
        reader.join(5)
        os.close(master)
    assert [(m.line, m.partial is not None and m.partial.last) for m in driver.messages] == [
        (b"password: ", False),
        (b"ok\r", True),
    ]


def test_without_flushing_a_prompt_waits_for_its_line(run_program):
    driver = MessageDriver()
    run_program(WRITE + "import time; o.write(b'prompt> '); o.flush(); time.sleep(0.3); o.write(b'typed\\n')", driver)
    assert [m.line for m in driver.messages] == [b"prompt> typed"]


def test_stop_after_gives_up_on_a_pipe_held_open(tmp_path):
    # The container's init has exited but a background child still holds stdout: Docker waits 10 s.
    driver = MessageDriver()
    read_fd, write_fd = os.pipe()
    holder = subprocess.Popen(["sleep", "60"], stdout=write_fd)
    os.write(write_fd, b"last words\nunfinished")
    os.close(write_fd)
    copier = Copier({"stdout": read_fd}, driver)
    timer = threading.Timer(0.2, copier.stop_after, args=(0.1,))
    started = time.monotonic()
    timer.start()
    try:
        copier.run()
    finally:
        timer.cancel()
        holder.kill()
        holder.wait()
        os.close(read_fd)
    assert time.monotonic() - started < 5
    assert [(m.line, m.partial is not None) for m in driver.messages] == [(b"last words", False), (b"unfinished", True)]
    assert driver.closed
