from common.throttle import LogThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_key_is_due_once_per_interval():
    clock = Clock()
    throttle = LogThrottle(60.0, clock)
    assert throttle.due("a")
    assert not throttle.due("a")
    assert throttle.due("b")  # keys are throttled apart
    clock.now += 59.9
    assert not throttle.due("a")
    clock.now += 0.1
    assert throttle.due("a")
    assert not throttle.due("a")


def test_the_default_key():
    clock = Clock()
    throttle = LogThrottle(10.0, clock)
    assert throttle.due()
    assert not throttle.due()
    clock.now += 10
    assert throttle.due()
