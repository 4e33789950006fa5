"""Lifecycle's decisions where a policy restart and a user's request meet, made deterministic in the world of
fakes of conftest.py."""

import threading

from runtime.engine.model import RESTARTING, RUNNING


def test_a_restart_that_a_policy_restart_beats_to_the_lock_does_not_launch_twice(world, monkeypatch):
    lifecycle, container, monitor, sandboxes = world
    monkeypatch.setattr(lifecycle._timers, "schedule", _hold_turns(lifecycle._timers))
    lifecycle.start(container)
    monitor.exit(container.state.shim_pid)  # it exits on its own: the policy schedules a restart
    assert container.state.status == RESTARTING
    turn = lifecycle._timers.turns[container.id]

    errors: list[BaseException] = []
    lock = lifecycle.lock(container)
    with lock:  # the user's restart arrives while the policy's timer fires and holds the lock first
        user = threading.Thread(target=_catching(errors, lifecycle.restart, container, 0))
        user.start()
        # it now waits for the lock; the old code had decided "not live: launch" before taking it (the pause
        # only gives it the time to get there: the new code is right whatever the timing)
        user.join(0.2)
        lifecycle._restart_now(container, turn)
        assert container.state.status == RUNNING
    user.join(10)

    assert errors == []
    assert container.state.status == RUNNING
    assert sandboxes.running == {container.id}
    assert sandboxes.creates == 3  # start, the policy restart, and the user's restart after stopping it


def _hold_turns(timers):
    """schedule() that records each turn instead of arming a timer: the test fires them."""
    timers.turns = {}

    def schedule(container_id, ran_for, restart) -> None:
        turn = object()
        timers._timers[container_id] = (threading.Timer(3600, lambda: None), turn)
        timers.turns[container_id] = turn

    return schedule


def _catching(errors: list[BaseException], function, *args):
    def run() -> None:
        try:
            function(*args)
        except BaseException as e:  # noqa: BLE001 - the test reports it
            errors.append(e)

    return run
