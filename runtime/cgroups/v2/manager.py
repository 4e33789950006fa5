"""V2Manager: one group in the unified hierarchy."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

from exporter.readers.cgroup import read_oom_kills
from exporter.readers.samples import CgroupPaths
from runtime.cgroups.cgroupfile import (
    CgroupWriteError,
    checked,
    has_file,
    read_file,
    read_keyed,
    wait_until,
    write_file,
)
from runtime.cgroups.controller import Controller
from runtime.cgroups.pids import Pids
from runtime.cgroups.resources import Resources
from runtime.cgroups.teardown import kill_all, pids_under, remove_tree
from runtime.cgroups.v2.cpu import CpuV2
from runtime.cgroups.v2.cpuset import CpusetV2
from runtime.cgroups.v2.devices import DevicesV2
from runtime.cgroups.v2.io import IoV2
from runtime.cgroups.v2.memory import MemoryV2
from runtime.errors import HostError

log = logging.getLogger(__name__)

CONTROLLERS: tuple[Controller, ...] = (CpusetV2(), MemoryV2(), CpuV2(), IoV2(), Pids(), DevicesV2())
WANTED = ("cpuset", "cpu", "io", "memory", "pids")
# the group the root's processes move to when the root must hand controllers down (moby's hack/dind)
EVACUATION_GROUP = "init"


class V2Manager:
    def __init__(self, parts: tuple[str, ...], cgroup_root: Path, timeout: float):
        self._parts = parts
        self._root = cgroup_root
        self._timeout = timeout
        self._dir = cgroup_root.joinpath(*parts)

    def paths(self) -> dict[str, Path]:
        return {"": self._dir}

    def create(self) -> None:
        available = read_file(self._root, "cgroup.controllers").split()
        wanted = [c for c in WANTED if c in available]
        created: list[Path] = []
        try:
            current = self._root
            for part in self._parts:
                self._enable(current, wanted)
                current = current / part
                if not current.is_dir():
                    current.mkdir()
                    created.append(current)
            self._check_type()
        except (OSError, HostError) as e:
            for d in reversed(created):  # leave nothing half-made behind
                try:
                    d.rmdir()
                except OSError as cleanup:
                    e.add_note(f"cgroups: could not remove {d} after the failure: {cleanup.strerror}")
            if isinstance(e, OSError):
                raise HostError(f"cgroups: cannot create {e.filename}: {e.strerror}") from e
            raise

    def _check_type(self) -> None:
        if not has_file(self._dir, "cgroup.type"):
            return
        group_type = read_file(self._dir, "cgroup.type").strip()
        if group_type in ("domain invalid", "threaded"):
            raise HostError(
                f"cgroups: cannot use {self._dir}: its cgroup.type is {group_type!r}, "
                "where memory, io and pids limits are not allowed"
            )

    def _enable(self, directory: Path, wanted: list[str]) -> None:
        """Pass the wanted controllers down from `directory` to its children."""
        enabled = read_file(directory, "cgroup.subtree_control").split()
        missing = [c for c in wanted if c not in enabled]
        if not missing:
            return
        value = " ".join(f"+{c}" for c in missing)
        try:
            write_file(directory, "cgroup.subtree_control", value)
            return
        except CgroupWriteError as e:
            if e.errno not in (errno.EBUSY, errno.EOPNOTSUPP):
                self._enable_one_by_one(directory, missing)
                return
            if directory != self._root:
                raise HostError(
                    f"cgroups: cannot enable {value} in {directory}: it holds processes, and cgroup v2 "
                    "passes controllers on only from groups without processes (no-internal-process rule)"
                ) from e
        # Inside a container (CI, docker-in-docker) our root is not the real root and the rule applies to
        # it as well: move its processes into a leaf first, as moby's hack/dind does.
        self._evacuate_root()
        write_file(directory, "cgroup.subtree_control", value)

    def _enable_one_by_one(self, directory: Path, missing: list[str]) -> None:
        """A controller that cannot be enabled (cpu with realtime tasks around, cpuset in a threaded
        subtree) must not block the others. Its files then stay absent and set() reports Docker's
        warning for any limit that needed it."""
        for controller in missing:
            try:
                write_file(directory, "cgroup.subtree_control", f"+{controller}")
            except CgroupWriteError as e:
                log.warning("%s; limits of the %s controller will be discarded", e.message, controller)

    def _evacuate_root(self) -> None:
        target = self._root / EVACUATION_GROUP
        target.mkdir(exist_ok=True)
        for token in read_file(self._root, "cgroup.procs").split():
            try:
                write_file(target, "cgroup.procs", token)
            except CgroupWriteError as e:
                if e.errno != errno.ESRCH:  # ESRCH: it exited meanwhile
                    raise

    def set(self, res: Resources) -> list[str]:
        warnings: list[str] = []
        for controller in CONTROLLERS:
            warnings += controller.set(self._dir, res)
        return warnings

    def procs_files(self) -> list[Path]:
        return [self._dir / "cgroup.procs"]

    def freeze(self, frozen: bool) -> None:
        if not has_file(self._dir, "cgroup.freeze"):
            raise HostError(f"cgroups: cannot freeze {self._dir}: no cgroup.freeze (the v2 freezer needs kernel 5.2)")
        want = "1" if frozen else "0"
        write_file(self._dir, "cgroup.freeze", want)
        try:
            wait_until(
                lambda: read_keyed(self._dir, "cgroup.events").get("frozen") == want,
                timeout=self._timeout,
                what=f"'frozen {want}' in {self._dir}/cgroup.events",
            )
        except HostError:
            if frozen:
                write_file(self._dir, "cgroup.freeze", "0")  # never leave a half-frozen group behind
            raise

    def is_frozen(self) -> bool:
        # cgroup.freeze is what was asked; cgroup.events' "frozen 1" is the kernel's word that it is done (5.2+)
        if not has_file(self._dir, "cgroup.events"):
            return False
        return read_keyed(self._dir, "cgroup.events").get("frozen") == "1"

    def pids(self) -> list[int]:
        return pids_under(self._dir)

    def oom_kills(self) -> int:
        return checked(read_oom_kills(CgroupPaths("v2", {"": self._dir})))

    def destroy(self) -> None:
        if not self._dir.is_dir():
            return
        if has_file(self._dir, "cgroup.kill"):
            # kernel >= 5.14: kills the whole subtree at once, tasks forked meanwhile included
            write_file(self._dir, "cgroup.kill", "1")
        else:
            self.freeze(True)  # no forks between our listing and our kill; SIGKILL wakes frozen v2 tasks
            kill_all(self.pids())
            self.freeze(False)
        wait_until(self._emptied, timeout=self._timeout, what=f"the tasks of {self._dir} to exit")
        remove_tree(self._dir, timeout=self._timeout)

    def _emptied(self) -> bool:
        if has_file(self._dir, "cgroup.events"):
            return read_keyed(self._dir, "cgroup.events").get("populated") == "0"
        return not kill_all(self.pids())
