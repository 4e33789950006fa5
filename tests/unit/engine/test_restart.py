"""Restart policies: parsing, the decision after an exit, the decision at daemon start, and the back-off."""

import time

import pytest

from runtime.engine.restart import BACKOFF_MAX, RestartPolicy, RestartTimers, next_delay
from runtime.errors import InvalidParameter


@pytest.mark.parametrize(
    ("restart_policy", "expected"),
    [
        (None, RestartPolicy("no", 0)),
        ({}, RestartPolicy("no", 0)),
        ({"Name": ""}, RestartPolicy("no", 0)),
        ({"Name": "always"}, RestartPolicy("always", 0)),
        ({"Name": "on-failure", "MaximumRetryCount": 3}, RestartPolicy("on-failure", 3)),
        ({"Name": "unless-stopped", "MaximumRetryCount": 0}, RestartPolicy("unless-stopped", 0)),
    ],
)
def test_parse(restart_policy, expected):
    assert RestartPolicy.from_host_config({"RestartPolicy": restart_policy}) == expected


@pytest.mark.parametrize(
    ("host_config", "message"),
    [
        ({"RestartPolicy": {"Name": "sometimes"}}, "unknown policy 'sometimes'"),
        ({"RestartPolicy": {"Name": "always", "MaximumRetryCount": 2}}, "can only be used with 'on-failure'"),
        ({"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": -1}}, "must be a positive integer"),
        ({"RestartPolicy": "always"}, "RestartPolicy must be an object"),
        ({"RestartPolicy": {"Name": "always"}, "AutoRemove": True}, "can't create 'AutoRemove' container"),
    ],
)
def test_parse_refuses(host_config, message):
    with pytest.raises(InvalidParameter) as refused:
        RestartPolicy.from_host_config(host_config)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("policy", "exit_code", "count", "stopped", "restart"),
    [
        (RestartPolicy("no", 0), 1, 0, False, False),
        (RestartPolicy("always", 0), 0, 5, False, True),
        (RestartPolicy("always", 0), 137, 0, True, False),  # no restart after stop or kill
        (RestartPolicy("unless-stopped", 0), 0, 0, False, True),
        (RestartPolicy("unless-stopped", 0), 0, 0, True, False),
        (RestartPolicy("on-failure", 0), 0, 0, False, False),
        (RestartPolicy("on-failure", 0), 1, 100, False, True),  # 0 retries means no limit
        (RestartPolicy("on-failure", 3), 1, 2, False, True),
        (RestartPolicy("on-failure", 3), 1, 3, False, False),
        (RestartPolicy("on-failure", 3), 1, 0, True, False),
    ],
)
def test_should_restart_after_an_exit(policy, exit_code, count, stopped, restart):
    assert policy.should_restart(exit_code, count, stopped) is restart


@pytest.mark.parametrize(
    ("policy", "exit_code", "count", "stopped", "start"),
    [
        (RestartPolicy("no", 0), 1, 0, False, False),
        (RestartPolicy("always", 0), 0, 0, False, True),
        (RestartPolicy("always", 0), 143, 0, True, True),  # a stop holds only until the daemon restarts
        (RestartPolicy("unless-stopped", 0), 1, 0, False, True),
        (RestartPolicy("unless-stopped", 0), 143, 0, True, False),
        (RestartPolicy("on-failure", 0), 0, 0, False, False),
        (RestartPolicy("on-failure", 2), 3, 1, False, True),  # a pending restart, decided again
        (RestartPolicy("on-failure", 2), 143, 0, True, True),
        (RestartPolicy("on-failure", 2), 3, 2, False, False),
    ],
)
def test_starts_with_the_daemon(policy, exit_code, count, stopped, start):
    assert policy.starts_with_daemon(exit_code, count, stopped) is start


def test_back_off_doubles_from_100_ms_up_to_a_minute():
    delays, delay = [], 0.0
    for _ in range(12):
        delay = next_delay(delay, ran_for=0.5)
        delays.append(delay)
    assert delays[:4] == [0.1, 0.2, 0.4, 0.8]
    assert delays[-1] == BACKOFF_MAX
    assert all(later >= earlier for earlier, later in zip(delays, delays[1:], strict=False))


def test_back_off_resets_after_a_run_of_ten_seconds():
    assert next_delay(25.6, ran_for=10.0) == 0.1
    assert next_delay(25.6, ran_for=9.9) == 51.2


def test_a_timer_whose_restart_waited_cannot_take_the_next_ones_turn():
    timers = RestartTimers()
    fired: list[object] = []
    try:
        timers.schedule("c1", 0.0, fired.append)
        wait_until(lambda: len(fired) == 1)
        timers.schedule("c1", 0.0, lambda turn: None)  # the container exited again before the first claimed
        assert not timers.claim("c1", fired[0])
    finally:
        timers.close()


def test_a_cancelled_timer_cannot_claim():
    timers = RestartTimers()
    fired: list[object] = []
    timers.schedule("c1", 0.0, fired.append)
    wait_until(lambda: len(fired) == 1)
    timers.cancel("c1")
    assert not timers.claim("c1", fired[0])


def test_the_current_timer_claims_once():
    timers = RestartTimers()
    fired: list[object] = []
    timers.schedule("c1", 0.0, fired.append)
    wait_until(lambda: len(fired) == 1)
    assert timers.claim("c1", fired[0])
    assert not timers.claim("c1", fired[0])


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
