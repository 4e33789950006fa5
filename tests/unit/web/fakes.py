"""An engine that answers the dashboard's Engine API calls from memory, for tests without a daemon: the
watcher's list, inspect and events (tests.unit.exporter.fakes), and the pages' top, logs, info and controls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.unit.exporter.fakes import FakeEngine as FakeContainerApi


class FakeStream:
    """What docker-py returns with stream=True: an iterator with close()."""

    def __init__(self, items: list[Any]) -> None:
        self._items = iter(items)
        self.closed = False

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        if self.closed:
            raise StopIteration
        return next(self._items)

    def close(self) -> None:
        self.closed = True


class FakeEngine(FakeContainerApi):
    def __init__(self, containers: list[dict[str, Any]] | None = None) -> None:
        super().__init__(containers)
        self.log_lines: dict[tuple[str, str], list[bytes]] = {}  # (id, "stdout"|"stderr") -> payloads
        self.log_calls: list[dict[str, Any]] = []
        self.log_streams: list[FakeStream] = []
        self.actions: list[tuple[str, str]] = []

    def top(self, container: str) -> dict[str, Any]:
        return {"Titles": ["PID", "CMD"], "Processes": [["1", "sleep 1000"]]}

    def logs(self, container: str, **options: Any) -> FakeStream:
        self.log_calls.append({"container": container, **options})
        which = "stdout" if options.get("stdout") else "stderr"
        stream = FakeStream(list(self.log_lines.get((container, which), [])))
        self.log_streams.append(stream)
        return stream

    def info(self) -> dict[str, Any]:
        self._check()
        return {"Name": "fakehost", "ServerVersion": "0.0-test"}

    def stop(self, container: str, timeout: int | None = None) -> None:
        self.actions.append(("stop", container))

    def restart(self, container: str, timeout: int | None = None) -> None:
        self.actions.append(("restart", container))

    def pause(self, container: str) -> None:
        self.actions.append(("pause", container))

    def unpause(self, container: str) -> None:
        self.actions.append(("unpause", container))
