"""Block device names for the `device` label: cAdvisor labels I/O and filesystem series "/dev/vda", not
"254:0"."""

from __future__ import annotations

from pathlib import Path

SYS_ROOT = Path("/sys")


class DeviceNames:
    """major:minor -> "/dev/<name>", looked up once per device in /sys/dev/block/<major>:<minor>/uevent.

    A device sysfs does not know (a virtual filesystem's anonymous device, a disk since removed) is named
    "<major>:<minor>", so its series keep a stable, honest label.
    """

    def __init__(self, sys_root: Path = SYS_ROOT) -> None:
        self._sys_root = sys_root
        self._names: dict[tuple[int, int], str] = {}

    def name(self, major: int, minor: int) -> str:
        key = (major, minor)
        found = self._names.get(key)
        if found is None:
            found = self._names[key] = self._look_up(major, minor)
        return found

    def _look_up(self, major: int, minor: int) -> str:
        try:
            text = (self._sys_root / "dev" / "block" / f"{major}:{minor}" / "uevent").read_text()
        except OSError:
            return f"{major}:{minor}"
        for line in text.splitlines():
            key, _, value = line.partition("=")
            if key == "DEVNAME" and value:
                return "/dev/" + value
        return f"{major}:{minor}"
