"""The container service the API calls: create, find, list, remove's file work, top and logs."""

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from logdrivers.driver import ReadConfig
from logdrivers.message import Message
from logdrivers.registry import Registry
from runtime.engine.config import DaemonConfig
from runtime.engine.create import ContainerFactory, Created
from runtime.engine.events import EventBus
from runtime.engine.helperpids import helper_pids
from runtime.engine.launch import Layout, attach_log_info, cgroup_for, keeps_no_log, log_info, shim_log_config
from runtime.engine.lifecycle import Lifecycle
from runtime.engine.logconfig import log_config_of
from runtime.engine.model import LIVE, NEVER, PAUSED, RESTARTING, RUNNING, Container
from runtime.engine.names import validate_name
from runtime.engine.networking import ContainerNetworks
from runtime.engine.store import ContainerStore
from runtime.errors import Conflict, InvalidParameter, NotFound
from runtime.volumes import MountPoint, VolumeService, remove_anonymous

LIST_FILTERS = ("id", "name", "label", "status", "exited", "ancestor", "health", "before", "since", "volume", "is-task")
STATUSES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")
HEALTH_STATES = ("starting", "healthy", "unhealthy", "none")


@dataclass(frozen=True, slots=True)
class ProcessTable:
    """`docker top`: ps's column titles and, for each of the container's processes, its row."""

    titles: list[str]
    processes: list[list[str]]


class Containers:
    def __init__(
        self,
        config: DaemonConfig,
        store: ContainerStore,
        factory: ContainerFactory,
        volumes: VolumeService,
        log_registry: Registry,
        events: EventBus,
        networks: ContainerNetworks,
    ) -> None:
        self.config = config
        self.store = store
        self.factory = factory
        self.volumes = volumes
        self.log_registry = log_registry
        self.events = events
        self.networks = networks
        self.lifecycle: Lifecycle  # set by the daemon once built (they call each other)

    def create(self, name: str | None, body: dict[str, Any], *, scratch: bool = False) -> Created:
        created = self.factory.create(name, body, scratch=scratch)
        container = created.container
        self.events.publish_container(container, "create")
        return created

    def record_attach(self, container: Container) -> None:
        """Docker's `attach` event, at the start of an attach."""
        self.events.publish_container(container, "attach")

    def rename(self, container: Container, name: str) -> None:
        """`docker rename`, with moby's checks and texts; the embedded DNS answers to the new name."""
        if not name:
            raise InvalidParameter("Neither old nor new names may be empty")
        name = validate_name(name)
        if name == container.name:
            raise InvalidParameter("Renaming a container with the same name as its current name")
        old = container.name
        self.store.rename(container, name)
        self.networks.rename(container)
        self.events.publish_container(container, "rename", oldName="/" + old)

    def get(self, ref: str) -> Container:
        return self.store.get(ref)

    def volume_users(self, volume_name: str) -> list[str]:
        return [c.id for c in self.store if any(m.get("name") == volume_name for m in c.mounts)]

    def image_user(self, image_id: str) -> str | None:
        return next((c.id for c in self.store if c.image_id == image_id), None)

    def remove_files(self, container: Container, volumes: bool) -> None:
        """The part of `rm` after the process is gone: network, records with the writable layer and logs, layers,
        anonymous volumes. Each step can run again after an OSError left the container dead. None needs room on
        the disk but the index of held layers, written last and, on a full disk, later (DeferredWork)."""
        self.networks.forget(container)
        shutil.rmtree(Layout(self.config, container.id).exec_dir, ignore_errors=True)
        self.store.remove(container)
        self.factory.release_layers(container.id)
        if volumes:
            mounts = [MountPoint(**m) for m in container.mounts]
            remove_anonymous(self.volumes, mounts, self.volume_users, container.id)

    def list(self, *, all_: bool, limit: int, filters: dict[str, list[str]]) -> list[Container]:
        for key in filters:
            if key not in LIST_FILTERS:
                raise InvalidParameter(f"invalid filter '{key}'")
        for status in filters.get("status", []):
            if status not in STATUSES:
                raise InvalidParameter(f"invalid filter 'status={status}'")
        for health in filters.get("health", []):
            if health not in HEALTH_STATES:
                raise InvalidParameter(f"Unrecognised filter value for health: {health}")
        for code in filters.get("exited", []):
            if not re.fullmatch(r"[+-]?[0-9]+", code):  # moby passes strconv's error on
                raise InvalidParameter(f'strconv.Atoi: parsing "{code}": invalid syntax')
        tasks = filters.get("is-task", [])
        if tasks and "true" not in tasks and "false" not in tasks:
            raise InvalidParameter(f"invalid filter 'is-task=[{' '.join(tasks)}]'")
        newest_first = _between(sorted(self.store, key=lambda c: c.created, reverse=True), filters, self.store.get)
        lineage = functools.cache(self.factory.image_lineage)  # walked once per image, not once per container
        wanted_images = {found[0] for v in filters.get("ancestor", []) if (found := lineage(v))}
        by_container = {k: v for k, v in filters.items() if k not in ("ancestor", "before", "since")}
        selected = [
            c
            for c in newest_first
            # as moby: a status filter or a limit (`ps -n`) implies --all; restarting counts as running
            if (all_ or limit > 0 or "status" in filters or c.state.status in (*LIVE, RESTARTING))
            and _matches(c, by_container)
            # moby's ancestor: the image named or any built or committed on it (none if no image answers)
            and ("ancestor" not in filters or not wanted_images.isdisjoint(lineage(c.image_id)))
        ]
        return selected[:limit] if limit > 0 else selected

    def top(self, container: Container, ps_args: str) -> ProcessTable:
        """`docker top`: the host's ps, narrowed to the container's processes, as Docker does it."""
        if container.state.status not in LIVE:
            raise Conflict(f"Container {container.id} is not running")
        in_cgroup = set(cgroup_for(self.config, container.id).pids())
        pids = in_cgroup - helper_pids(in_cgroup)  # exec helpers and probers: the daemon's, not the container's
        # ps cuts its lines at $COLUMNS when that is set (a daemon started from a terminal or a test runner
        # inherits it); top reports whole command lines, as ps does with no width to fit.
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        result = subprocess.run(["ps", *(ps_args or "-ef").split()], capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise InvalidParameter(f"Error running ps: {result.stderr.strip()}")
        lines = result.stdout.splitlines()
        titles = lines[0].split()
        if "PID" not in titles:
            raise InvalidParameter(f'Couldn\'t find PID field in ps output for args "{ps_args}"')
        pid_column = titles.index("PID")
        processes = []
        for line in lines[1:]:
            fields = line.split(None, len(titles) - 1)
            if len(fields) > pid_column and fields[pid_column].isdigit() and int(fields[pid_column]) in pids:
                processes.append(fields)
        return ProcessTable(titles, processes)

    def logs(
        self, container: Container, cfg: ReadConfig, still_running: Callable[[], bool] | None = None
    ) -> Iterator[Message]:
        """Stored messages; a follower ends when `still_running` (by default: the container lives) is False.
        ReadLogsNotSupported (501) for a driver that keeps none."""
        info = log_info(container, Layout(self.config, container.id))
        reader = self.log_registry.open_reader(log_config_of(container, self.log_registry), info)
        if still_running is None:
            still_running = lambda: container.state.status in (RUNNING, PAUSED, RESTARTING)  # noqa: E731
        return reader.read_logs(cfg, still_running)

    def attach_output(
        self, container: Container, cfg: ReadConfig, still_running: Callable[[], bool]
    ) -> Iterator[Message]:
        """What an attach streams: the log, or for a container that keeps none its attach log (which serves no
        replay: logs=1 is refused as `logs` is)."""
        if not keeps_no_log(container) or cfg.tail != 0:
            return self.logs(container, cfg, still_running)
        layout = Layout(self.config, container.id)
        # The log's directory is made at start, and an attach comes before it (`docker run`): made now, the reader
        # hears of the log's creation at once (inotify), where it would poll, and could miss the whole output of
        # a short --rm container that is gone before its next look.
        layout.exec_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        reader = self.log_registry.open_reader(
            shim_log_config(container, self.log_registry), attach_log_info(container, layout)
        )
        return reader.read_logs(cfg, still_running)


def _label_matches(labels: dict[str, str], wanted: str) -> bool:
    key, sep, value = wanted.partition("=")
    return key in labels and (not sep or labels[key] == value)


def _between(
    newest_first: list[Container], filters: dict[str, list[str]], find: Callable[[str], Container]
) -> list[Container]:
    """before= and since=: only those created before the container named, or after it; as moby, the last value of
    each counts, and names a container by its full id or its name only (moby's view has no prefix lookup)."""
    for key in ("before", "since"):
        if filters.get(key):
            ref = filters[key][-1]
            try:
                found = find(ref)
            except (NotFound, InvalidParameter):
                found = None
            if found is None or ref not in (found.id, found.name, "/" + found.name):
                raise NotFound(f"no such container {ref}")  # moby's words (its view's error, a 500 there)
            at = newest_first.index(found)
            newest_first = newest_first[at + 1 :] if key == "before" else newest_first[:at]
    return newest_first


def _matches(c: Container, filters: dict[str, list[str]]) -> bool:
    checks = {
        "id": lambda v: c.id.startswith(v),
        # as moby: the name with and without its slash (`--filter name=^web$` finds "/web")
        "name": lambda v: re.search(v, "/" + c.name) is not None or re.search(v, c.name) is not None,
        "label": lambda v: _label_matches(c.config.get("Labels") or {}, v),
        "status": lambda v: c.state.status == v,
        # as moby: a container that has run and does not now
        "exited": lambda v: (
            c.state.status not in (*LIVE, RESTARTING) and c.state.started_at != NEVER and c.state.exit_code == int(v)
        ),
        "health": lambda v: (c.state.health.status if c.state.health is not None else "none") == v,
        # a volume by name (a bind by its source) or any mount by its destination
        "volume": lambda v: any(v in (m["destination"], m.get("name") or m["source"]) for m in c.mounts),
        "is-task": lambda v: v == "false",  # no swarm here: no container is a task
    }
    for key, values in filters.items():
        if key == "label":
            if not all(checks[key](v) for v in values):
                return False
        elif values and not any(checks[key](v) for v in values):
            return False
    return True
