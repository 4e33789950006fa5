"""V1Manager: one group, created in every mounted v1 hierarchy (as runc's cgroupfs driver joins them all,
name=systemd included)."""

from __future__ import annotations

from pathlib import Path

from exporter.readers.cgroup import read_oom_kills
from exporter.readers.paths import controllers_of_hierarchy, v1_hierarchies
from exporter.readers.samples import CgroupPaths
from runtime.cgroups.cgroupfile import checked, has_file, read_file, wait_until, write_file
from runtime.cgroups.controller import Controller
from runtime.cgroups.pids import Pids
from runtime.cgroups.resources import Resources
from runtime.cgroups.teardown import kill_all, pids_under, remove_tree
from runtime.cgroups.v1.blkio import BlkioV1
from runtime.cgroups.v1.cpu import CpuV1
from runtime.cgroups.v1.cpuset import CpusetV1, inherit_cpuset
from runtime.cgroups.v1.devices import DevicesV1
from runtime.cgroups.v1.memory import MemoryV1
from runtime.errors import HostError

CONTROLLERS: tuple[Controller, ...] = (CpusetV1(), MemoryV1(), CpuV1(), BlkioV1(), Pids(), DevicesV1())
# where to list the group's pids: any hierarchy works, these are the ones a container always has
_PIDS_FROM = ("pids", "freezer", "memory", "cpu")


class V1Manager:
    def __init__(self, parts: tuple[str, ...], cgroup_root: Path, timeout: float):
        self._parts = parts
        self._root = cgroup_root
        self._timeout = timeout
        self._hierarchies = v1_hierarchies(cgroup_root)
        self._group = "/".join(parts)

    def _group_dirs(self) -> list[Path]:
        return [mount.joinpath(*self._parts) for mount in self._hierarchies.values()]

    def paths(self) -> dict[str, Path]:
        return {
            controller: mount.joinpath(*self._parts)
            for name, mount in self._hierarchies.items()
            for controller in controllers_of_hierarchy(name)
        }

    def create(self) -> None:
        if not self._hierarchies:
            raise HostError(
                f"cgroups: cannot create {self._group}: no cgroup v1 hierarchy is mounted under {self._root}"
            )
        created: list[Path] = []
        try:
            for name, mount in self._hierarchies.items():
                controllers = controllers_of_hierarchy(name)
                current = mount
                for part in self._parts:
                    parent, current = current, current / part
                    if not current.is_dir():
                        current.mkdir()
                        created.append(current)
                        if "memory" in controllers:
                            _use_hierarchy(current)
                    if "cpuset" in controllers:
                        inherit_cpuset(parent, current)
        except (OSError, HostError) as e:
            for d in reversed(created):  # leave nothing half-made behind
                try:
                    d.rmdir()
                except OSError as cleanup:
                    e.add_note(f"cgroups: could not remove {d} after the failure: {cleanup.strerror}")
            if isinstance(e, OSError):
                raise HostError(f"cgroups: cannot create {e.filename}: {e.strerror}") from e
            raise

    def set(self, res: Resources) -> list[str]:
        paths = self.paths()
        warnings: list[str] = []
        for controller in CONTROLLERS:
            # an unmounted controller gets a dir that does not exist, so its files read as missing
            directory = paths.get(controller.name, self._root / controller.name / self._group)
            warnings += controller.set(directory, res)
        return warnings

    def procs_files(self) -> list[Path]:
        return [d / "cgroup.procs" for d in self._group_dirs()]

    def freeze(self, frozen: bool) -> None:
        d = self.paths().get("freezer")
        if d is None:
            raise HostError(f"cgroups: cannot freeze {self._group}: the freezer hierarchy is not mounted")
        state = "FROZEN" if frozen else "THAWED"
        write_file(d, "freezer.state", state)
        polls = 0

        def reached() -> bool:
            nonlocal polls
            if read_file(d, "freezer.state").strip() == state:
                return True
            polls += 1
            if polls % 10 == 0:
                # a task that cannot be frozen right now (e.g. in vfork) leaves the group FREEZING; asking
                # again retries the stragglers, as runc does
                write_file(d, "freezer.state", state)
            return False

        try:
            wait_until(reached, timeout=self._timeout, what=f"{d}/freezer.state to read {state}")
        except HostError:
            if frozen:
                write_file(d, "freezer.state", "THAWED")  # never leave a half-frozen group behind
            raise

    def is_frozen(self) -> bool:
        # freezer.state reads FREEZING while some task has not stopped yet, FROZEN once every one has
        d = self.paths().get("freezer")
        return d is not None and has_file(d, "freezer.state") and read_file(d, "freezer.state").strip() == "FROZEN"

    def pids(self) -> list[int]:
        paths = self.paths()
        for controller in _PIDS_FROM:
            if controller in paths:
                return pids_under(paths[controller])
        return pids_under(next(iter(paths.values()))) if paths else []

    def oom_kills(self) -> int:
        return checked(read_oom_kills(CgroupPaths("v1", self.paths())))

    def destroy(self) -> None:
        dirs = [d for d in self._group_dirs() if d.is_dir()]
        if not dirs:
            return
        freezer = self.paths().get("freezer")
        if freezer is not None and freezer.is_dir():
            # frozen tasks cannot fork new ones between our listing and our kill
            self.freeze(True)
            kill_all(self.pids())
            self.freeze(False)  # v1 delivers the SIGKILL only once the tasks thaw
        what = f"the tasks of {self._group} to exit"
        wait_until(lambda: not kill_all(self.pids()), timeout=self._timeout, what=what)
        for d in dirs:
            remove_tree(d, timeout=self._timeout)


def _use_hierarchy(directory: Path) -> None:
    """Kernels before 5.10 default the root to use_hierarchy=0, where a parent's limit does not cover its
    children; switch it on while the new group has no children yet (since 5.10 it always reads 1)."""
    name = "memory.use_hierarchy"
    if has_file(directory, name) and read_file(directory, name).strip() == "0":
        write_file(directory, name, "1")
