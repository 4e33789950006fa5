import pytest

from exporter.container_events import event_from_json


@pytest.mark.parametrize(
    "event, expected",
    [
        (
            {
                "Type": "container",
                "Action": "die",
                "Actor": {"ID": "x1", "Attributes": {"exitCode": "3", "image": "b"}},
                "timeNano": 1714557600500000000,
            },
            ("x1", 1714557600.5, "die", "exit code 3"),
        ),
        (
            {"Type": "container", "Action": "kill", "Actor": {"ID": "x2", "Attributes": {"signal": "15"}}, "time": 7},
            ("x2", 7.0, "kill", "signal 15"),
        ),
        ({"status": "start", "id": "x3", "time": 1}, ("x3", 1.0, "start", "")),  # API < 1.22 fields
    ],
)
def test_event_from_json(event, expected):
    container_id, parsed = event_from_json(event)
    assert (container_id, parsed.time, parsed.action, parsed.detail) == expected


def test_events_of_other_objects_are_left_out():
    assert event_from_json({"Type": "network", "Action": "connect", "Actor": {"ID": "n1"}}) is None
    assert event_from_json({"Type": "container", "Action": "start", "Actor": {}}) is None
