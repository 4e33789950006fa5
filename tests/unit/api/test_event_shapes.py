"""Docker's `docker events` message shape."""

from runtime.api.shapes.events import event
from runtime.engine.events import Event


def test_a_container_event_carries_the_fields_old_clients_read():
    shape = event(Event("container", "start", "c" * 64, {"image": "busybox", "name": "web"}, 1_700_000_000_123_456_789))
    assert shape == {
        "Type": "container",
        "Action": "start",
        "Actor": {"ID": "c" * 64, "Attributes": {"image": "busybox", "name": "web"}},
        "scope": "local",
        "time": 1_700_000_000,
        "timeNano": 1_700_000_000_123_456_789,
        "status": "start",
        "id": "c" * 64,
        "from": "busybox",
    }


def test_other_events_have_only_the_current_fields():
    shape = event(Event("volume", "create", "data", {"driver": "local"}, 5_000_000_000))
    assert set(shape) == {"Type", "Action", "Actor", "scope", "time", "timeNano"} and shape["time"] == 5


def test_an_image_event_carries_status_and_id_but_no_from_as_mobys():
    shape = event(Event("image", "tag", "sha256:" + "a" * 64, {"name": "app:1"}, 5_000_000_000))
    assert (shape["status"], shape["id"]) == ("tag", "sha256:" + "a" * 64)
    assert "from" not in shape
