"""A subscription that names its actions is handed only those, past and live (the rest never wake its thread)."""

import time

from runtime.engine.events import EventBus


def test_a_subscription_gets_only_the_actions_it_names():
    bus = EventBus()
    since = time.time_ns()
    bus.publish("container", "start", "a")
    bus.publish("container", "exec_create: /bin/sh -c true", "a")
    past, sub = bus.subscribe(since, actions=frozenset({"start", "die"}))
    _, everything = bus.subscribe(None)
    bus.publish("container", "exec_die", "a", exitCode="0")
    bus.publish("container", "die", "a", exitCode="0")
    assert [e.action for e in past] == ["start"]
    assert sub.next(0).action == "die" and sub.next(0) is None
    assert [everything.next(0).action, everything.next(0).action] == ["exec_die", "die"]
