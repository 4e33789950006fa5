"""Docker's JSON shapes of volumes: the volume object (`volume inspect`, `create`, `ls`) and the entries of a
container's "Mounts"."""

from typing import Any

from runtime.volumes import VOLUME, MountPoint, PluginView, Volume


def volume(v: Volume, plugin: PluginView | None = None) -> dict[str, Any]:
    """The volume object, as `volume inspect`, `volume create` and `volume ls` return it; a plugin's volume with
    the mountpoint, status and scope its plugin gives."""
    return {
        "CreatedAt": v.created_at,
        "Driver": v.driver,
        "Labels": dict(v.labels) if v.labels is not None else None,
        "Mountpoint": str(v.mountpoint) if plugin is None else plugin.mountpoint,
        "Name": v.name,
        "Options": dict(v.options) if v.options is not None else None,
        "Scope": "local" if plugin is None else plugin.scope,
        "Status": None if plugin is None else plugin.status,
        "UsageData": None,
    }


def mount(m: MountPoint) -> dict[str, Any]:
    """One entry of a container's "Mounts" (inspect and `ps`), keyed and ordered as Docker's."""
    entry: dict[str, Any] = {"Type": m.type}
    if m.type == VOLUME:
        entry["Name"] = m.name
    entry["Source"] = m.source
    entry["Destination"] = m.destination
    if m.type == VOLUME:
        entry["Driver"] = m.driver
    entry.update(Mode=m.mode, RW=m.rw, Propagation=m.propagation)
    return entry
