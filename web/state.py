"""The dashboard's live state, held in `app.extensions["porthole"]`: the engine client, the container
watcher, the history and its sampler. The views only shape data from it.

The watcher is the dashboard's own (started and closed with it), or the one `porthole daemon` shares
between the exporter and the dashboard (WATCHER: started and closed by the daemon).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app

from exporter.readers.paths import CGROUP_ROOT, PROC_ROOT
from exporter.records import ContainerRecord
from exporter.watcher import ContainerWatcher
from web.engine import EngineApi, EngineControls, connect
from web.history import HistoryStore
from web.sampler import Sampler

EXTENSION = "porthole"


@dataclass
class DashboardState:
    api: EngineApi
    watcher: ContainerWatcher
    history: HistoryStore
    sampler: Sampler
    engine_url: str
    controls: EngineControls | None = None  # the same client, when the engine can be told to act
    owns_watcher: bool = True  # False: shared, started and closed by whoever built it

    def start(self) -> None:
        if self.owns_watcher:
            self.watcher.start()
        self.sampler.sample_once()  # the first page shows numbers at once
        self.sampler.start()

    def close(self) -> None:
        self.sampler.close()
        if self.owns_watcher:
            self.watcher.close()
        close = getattr(self.api, "close", None)
        if close is not None:
            close()


def build_state(
    api: EngineApi,
    engine_url: str,
    *,
    controls: EngineControls | None = None,
    watcher: ContainerWatcher | None = None,
    history_seconds: float = 960,
    interval: float = 1.0,
    cgroup_root: Path = CGROUP_ROOT,
    proc_root: Path = PROC_ROOT,
) -> DashboardState:
    """The state over `api`, with a watcher of its own unless one is given."""
    owns_watcher = watcher is None
    if watcher is None:
        watcher = ContainerWatcher(api, component="web", cgroup_root=cgroup_root, proc_root=proc_root)
    history = HistoryStore(capacity=math.ceil(history_seconds / interval))
    sampler = Sampler(watcher, history, interval=interval, cgroup_root=cgroup_root, proc_root=proc_root)
    return DashboardState(api, watcher, history, sampler, engine_url, controls, owns_watcher)


def init_app(app: Flask) -> DashboardState:
    """The configured STATE (tests pass their own), else one for ENGINE_URL (over the shared WATCHER when one
    is configured), started."""
    state = app.config.get("STATE")
    if state is None:
        url = app.config["ENGINE_URL"]
        client = connect(url)
        state = build_state(
            client,
            url,
            controls=client,
            watcher=app.config.get("WATCHER"),
            history_seconds=app.config["HISTORY_SECONDS"],
            interval=app.config["SAMPLE_SECONDS"],
        )
        state.start()
    app.extensions[EXTENSION] = state
    return state


def current_state() -> DashboardState:
    state: Any = current_app.extensions[EXTENSION]
    return state


def record_or_404(ref: str) -> ContainerRecord:
    """The container by id, id prefix or name. :raise 404: when the engine has no such container."""
    watcher = current_state().watcher
    record = watcher.get(ref)
    if record is None:
        watcher.refresh()  # created a moment ago, before the events told us
        record = watcher.get(ref)
    if record is None:
        abort(404, description=f"web: no such container {ref!r}")
    return record
