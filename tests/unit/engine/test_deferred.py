"""DeferredWork: work the host refuses is kept and retried until it succeeds; a newer attempt replaces it."""

import errno
import logging
import threading

import pytest

from runtime.engine.deferred import DeferredWork
from runtime.errors import HostError
from tests.support.waiting import wait_for

FULL = OSError(errno.ENOSPC, "No space left on device")


class Flaky:
    """Work that fails with `error` until told to succeed; counts its calls."""

    def __init__(self, error: BaseException = FULL) -> None:
        self.error: BaseException | None = error
        self.calls = 0
        self.done = threading.Event()

    def __call__(self) -> None:
        self.calls += 1
        if self.error is not None:
            raise self.error
        self.done.set()


@pytest.fixture
def deferred():
    work = DeferredWork(interval=0.02)
    yield work
    work.close()


def test_work_the_host_accepts_runs_once_and_nothing_is_pending(deferred):
    work = Flaky(error=None)
    assert deferred.attempt(("state", "a"), work, "saving a") is True
    assert work.calls == 1
    assert deferred.counts() == {}


def test_refused_work_is_retried_until_it_succeeds(deferred, caplog):
    caplog.set_level(logging.INFO, "porthole.engine")
    work = Flaky()
    assert deferred.attempt(("state", "a"), work, "saving a") is False
    assert deferred.counts() == {"state": 1}
    wait_for(lambda: work.calls >= 3, 5, what="retries")
    work.error = None
    assert work.done.wait(5)
    wait_for(lambda: deferred.counts() == {}, 5, what="the work to leave the queue")
    assert "saving a failed, retrying" in caplog.text
    assert "saving a succeeded after" in caplog.text


def test_a_newer_attempt_of_the_same_key_replaces_the_pending_one(deferred):
    old, new = Flaky(), Flaky()
    deferred.attempt(("state", "a"), old, "saving a")
    deferred.attempt(("state", "a"), new, "saving a")
    calls = old.calls
    wait_for(lambda: new.calls >= 3, 5, what="retries of the newer work")
    assert old.calls == calls
    assert deferred.counts() == {"state": 1}


def test_a_success_of_the_same_key_ends_the_retries(deferred):
    failing = Flaky()
    deferred.attempt(("state", "a"), failing, "saving a")
    assert deferred.attempt(("state", "a"), Flaky(error=None), "saving a") is True
    assert deferred.counts() == {}


def test_run_pending_raises_while_the_host_still_refuses_and_clears_once_it_accepts(deferred):
    work = Flaky(HostError("cgroups: the tasks of x did not exit"))
    deferred.attempt(("cgroup", "a"), work, "removing a")
    with pytest.raises(HostError):
        deferred.run_pending(("cgroup", "a"))
    work.error = None
    deferred.run_pending(("cgroup", "a"))
    assert deferred.counts() == {}
    deferred.run_pending(("cgroup", "b"))  # nothing pending: nothing to do


def test_a_bug_is_not_retried_for_ever(deferred, caplog):
    work = Flaky()
    deferred.attempt(("state", "a"), work, "saving a")
    work.error = KeyError("a bug")
    wait_for(lambda: deferred.counts() == {}, 5, what="the broken work to be given up")
    assert "saving a failed; given up" in caplog.text


def test_other_errors_are_raised_at_once(deferred):
    with pytest.raises(KeyError):
        deferred.attempt(("state", "a"), Flaky(KeyError("a bug")), "saving a")
    assert deferred.counts() == {}
