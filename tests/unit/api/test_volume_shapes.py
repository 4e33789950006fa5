"""Docker's volume shapes: the volume object and a container's "Mounts" entries."""

from runtime.api.shapes import volumes as shapes
from runtime.volumes import MountPoint, VolumeService


def test_a_volume_has_dockers_shape(tmp_path):
    volume = VolumeService(tmp_path).create("db")
    assert shapes.volume(volume) == {
        "CreatedAt": volume.created_at,
        "Driver": "local",
        "Labels": None,
        "Mountpoint": str(tmp_path / "volumes" / "db" / "_data"),
        "Name": "db",
        "Options": None,
        "Scope": "local",
        "Status": None,
        "UsageData": None,
    }


def test_mount_entries_are_keyed_and_ordered_as_dockers():
    named = MountPoint("volume", "/v/a/_data", "/data", "z", True, name="a", driver="local")
    assert list(shapes.mount(named).items()) == [
        ("Type", "volume"),
        ("Name", "a"),
        ("Source", "/v/a/_data"),
        ("Destination", "/data"),
        ("Driver", "local"),
        ("Mode", "z"),
        ("RW", True),
        ("Propagation", ""),
    ]
    bind = MountPoint("bind", "/srv", "/conf", "ro", False, propagation="rprivate")
    assert shapes.mount(bind) == {
        "Type": "bind",
        "Source": "/srv",
        "Destination": "/conf",
        "Mode": "ro",
        "RW": False,
        "Propagation": "rprivate",
    }
