"""Stand-ins for the exporter's outside world: a target source, and a docker-py client whose API answers
from dicts."""

import threading

import docker

from exporter.targets import Target


class FakeSource:
    """A TargetSource over a list the test changes."""

    def __init__(self, targets: tuple[Target, ...] = ()) -> None:
        self.current = targets
        self.stale_calls = 0

    def targets(self) -> tuple[Target, ...]:
        return self.current

    def stale(self) -> None:
        self.stale_calls += 1

    def start(self) -> None:
        return None

    def close(self) -> None:
        return None


def inspect_body(container_id: str, pid: int, name: str, **extra) -> dict:
    """The parts of Docker's inspect JSON the exporter reads."""
    return {
        "Id": container_id,
        "Name": "/" + name,
        "Created": "2026-11-28T04:00:00.5Z",
        "State": {"Pid": pid, "StartedAt": "2026-11-28T04:00:01.250000000Z"},
        "Config": {"Image": extra.get("image", "busybox:latest"), "Labels": extra.get("labels", {})},
        "GraphDriver": {"Name": "overlay2", "Data": {"UpperDir": extra.get("upper", f"/layers/{name}/upper")}},
    }


class FakeApi:
    def __init__(self) -> None:
        self.running: dict[str, dict] = {}  # id -> inspect body
        self.inspected: list[str] = []
        self.list_error: Exception | None = None

    def containers(self) -> list[dict]:
        if self.list_error is not None:
            raise self.list_error
        return [{"Id": cid} for cid in self.running]

    def inspect_container(self, container_id: str) -> dict:
        self.inspected.append(container_id)
        if container_id not in self.running:
            raise docker.errors.NotFound(f"No such container: {container_id}")
        return self.running[container_id]


class FakeEvents:
    """An events stream that hands out what the test puts in, until closed."""

    def __init__(self) -> None:
        self._items: list[dict] = []
        self._ready = threading.Condition()
        self.closed = False

    def put(self, event: dict) -> None:
        with self._ready:
            self._items.append(event)
            self._ready.notify_all()

    def close(self) -> None:
        with self._ready:
            self.closed = True
            self._ready.notify_all()

    def __iter__(self):
        while True:
            with self._ready:
                self._ready.wait_for(lambda: self._items or self.closed)
                if self.closed:
                    return
                event = self._items.pop(0)
            yield event


class FakeClient:
    def __init__(self) -> None:
        self.api = FakeApi()
        self.stream = FakeEvents()
        self.event_filters: list[dict] = []

    def events(self, decode: bool, filters: dict) -> FakeEvents:
        assert decode
        self.event_filters.append(filters)
        return self.stream
