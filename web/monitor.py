"""The dashboard's live state: the engine client, the container inventory, the history and its sampler,
held in `app.extensions["porthole"]`; the views only shape data from it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app

from exporter.readers.paths import CGROUP_ROOT, PROC_ROOT
from web.engine import EngineApi, EngineControls, connect
from web.history import HistoryStore
from web.inventory import Inventory
from web.records import ContainerRecord
from web.sampler import Sampler

EXTENSION = "porthole"


@dataclass
class Monitor:
    api: EngineApi
    inventory: Inventory
    history: HistoryStore
    sampler: Sampler
    engine_url: str
    controls: EngineControls | None = None  # the same client, when the engine can be told to act

    def start(self) -> None:
        self.inventory.start()
        self.sampler.sample_once()  # the first page shows numbers at once
        self.sampler.start()

    def close(self) -> None:
        self.sampler.close()
        self.inventory.close()
        close = getattr(self.api, "close", None)
        if close is not None:
            close()


def build_monitor(
    api: EngineApi,
    engine_url: str,
    *,
    controls: EngineControls | None = None,
    history_seconds: float = 960,
    interval: float = 1.0,
    refresh_seconds: float = 5.0,
    cgroup_root: Path = CGROUP_ROOT,
    proc_root: Path = PROC_ROOT,
) -> Monitor:
    inventory = Inventory(api, refresh_seconds=refresh_seconds)
    history = HistoryStore(capacity=math.ceil(history_seconds / interval))
    sampler = Sampler(inventory, history, interval=interval, cgroup_root=cgroup_root, proc_root=proc_root)
    return Monitor(api, inventory, history, sampler, engine_url, controls)


def init_app(app: Flask) -> Monitor:
    """The configured MONITOR (tests pass their own), else one for ENGINE_URL, started."""
    monitor = app.config.get("MONITOR")
    if monitor is None:
        url = app.config["ENGINE_URL"]
        client = connect(url)
        monitor = build_monitor(
            client,
            url,
            controls=client,
            history_seconds=app.config["HISTORY_SECONDS"],
            interval=app.config["SAMPLE_SECONDS"],
        )
        monitor.start()
    app.extensions[EXTENSION] = monitor
    return monitor


def current_monitor() -> Monitor:
    monitor: Any = current_app.extensions[EXTENSION]
    return monitor


def record_or_404(ref: str) -> ContainerRecord:
    """The container by id, id prefix or name. :raise 404: when the engine has no such container."""
    inventory = current_monitor().inventory
    record = inventory.get(ref)
    if record is None:
        inventory.refresh()  # created a moment ago, before the events told us
        record = inventory.get(ref)
    if record is None:
        abort(404, description=f"web: no such container {ref!r}")
    return record
