"""plan_mounts: Docker's precedence between VolumesFrom, Binds, Mounts, Config and image volumes, and its
refusals, before any volume exists."""

import re

import pytest

from runtime.errors import InvalidParameter, NotFound
from runtime.volumes import MountPoint, plan_mounts


def plan(**requests):
    fields = {"binds": [], "config_volumes": {}, "mounts": [], "image_volumes": {}, "volumes_from": []}
    return plan_mounts(**{**fields, **requests})


def by_destination(mount_plan):
    return {m.destination: m for m in mount_plan.mounts}


def test_bind_named_and_anonymous(tmp_path):
    result = plan(binds=[f"{tmp_path}:/host:ro", "data:/data", "/scratch"])
    mounts = by_destination(result)
    assert mounts["/host"] == MountPoint(
        "bind", str(tmp_path), "/host", "ro", False, propagation="rprivate", create_source=True
    )
    assert (mounts["/data"].type, mounts["/data"].name, mounts["/data"].mode) == ("volume", "data", "z")
    assert re.fullmatch(r"[0-9a-f]{64}", mounts["/scratch"].name)
    requests = {r.destination: r for r in result.volumes}
    assert set(requests) == {"/data", "/scratch"}
    assert (requests["/data"].name, requests["/data"].anonymous, requests["/data"].copy_data) == ("data", False, True)
    assert requests["/scratch"].anonymous and requests["/scratch"].name == mounts["/scratch"].name


def test_image_volume_becomes_an_anonymous_volume_filled_from_the_image():
    result = plan(image_volumes={"/var/lib/db": {}})
    (request,) = result.volumes
    (mount,) = result.mounts
    assert (request.destination, request.anonymous, request.copy_data) == ("/var/lib/db", True, True)
    assert (mount.type, mount.name, mount.source, mount.mode, mount.rw) == ("volume", request.name, "", "", True)


def test_image_and_config_volumes_yield_to_binds_and_named_volumes(tmp_path):
    result = plan(
        binds=[f"{tmp_path}:/etc/conf", "dbdata:/var/lib/db/"],
        config_volumes={"/var/lib/db": {}, "/cache": {}},
        image_volumes={"/etc/conf/": {}, "/cache": {}, "/logs": {}},
    )
    mounts = by_destination(result)
    assert mounts["/etc/conf"].type == "bind" and mounts["/var/lib/db"].name == "dbdata"
    assert {r.destination for r in result.volumes} == {"/var/lib/db", "/cache", "/logs"}
    assert len(result.mounts) == 4


def test_nocopy_named_volume_is_not_filled():
    (request,) = plan(binds=["seed:/data:nocopy"]).volumes
    assert request.copy_data is False


def test_mounts_volume_carries_labels_and_anonymity():
    result = plan(
        mounts=[
            {"Type": "volume", "Source": "v1", "Target": "/a", "VolumeOptions": {"Labels": {"k": "v"}}},
            {"Type": "volume", "Target": "/b"},
            {"Type": "tmpfs", "Target": "/run", "TmpfsOptions": {"SizeBytes": 1 << 20}},
        ]
    )
    requests = {r.destination: r for r in result.volumes}
    assert requests["/a"].labels == {"k": "v"} and not requests["/a"].anonymous
    assert requests["/b"].anonymous
    tmpfs = by_destination(result)["/run"]
    assert (tmpfs.type, tmpfs.source, tmpfs.tmpfs_options) == ("tmpfs", "", "size=1m")


def test_volumes_from_keeps_their_mounts_and_applies_ro(tmp_path):
    theirs = [
        MountPoint("volume", "/vols/abc/_data", "/data", "z", True, name="abc", driver="local"),
        MountPoint("bind", str(tmp_path), "/conf", "ro", False, propagation="rprivate"),
    ]
    result = plan(volumes_from=[(theirs, "ro")])
    mounts = by_destination(result)
    assert mounts["/data"] == MountPoint("volume", "/vols/abc/_data", "/data", "", False, "abc", "local")
    assert mounts["/conf"].rw is False and mounts["/conf"].source == str(tmp_path)
    assert result.volumes == ()  # nothing to make: the volumes exist


def test_volumes_from_rw_keeps_a_read_only_mount_read_only(tmp_path):
    theirs = [MountPoint("bind", str(tmp_path), "/conf", "ro", False, propagation="rprivate")]
    assert plan(volumes_from=[(theirs, "rw")]).mounts[0].rw is False


def test_binds_override_volumes_from_and_image_volumes_skip_them(tmp_path):
    theirs = [
        MountPoint("volume", "/v/a/_data", "/data", "z", True, name="a", driver="local"),
        MountPoint("volume", "/v/b/_data", "/logs", "z", True, name="b", driver="local"),
    ]
    result = plan(volumes_from=[(theirs, "rw")], binds=["mine:/data"], image_volumes={"/logs": {}})
    mounts = by_destination(result)
    assert mounts["/data"].name == "mine" and mounts["/logs"].name == "b"
    assert [r.name for r in result.volumes] == ["mine"]


def test_a_later_volumes_from_wins_a_destination():
    first = [MountPoint("volume", "/v/a/_data", "/data", "z", True, name="a", driver="local")]
    second = [MountPoint("volume", "/v/b/_data", "/data", "z", True, name="b", driver="local")]
    assert plan(volumes_from=[(first, "rw"), (second, "rw")]).mounts[0].name == "b"


def test_parents_mount_before_children(tmp_path):
    result = plan(
        binds=[f"{tmp_path}:/a/b/c", "v1:/a", "/z"],
        mounts=[{"Type": "volume", "Target": "/a/b"}],
        image_volumes={"/b/x/y/z": {}, "/m": {}},
    )
    assert [m.destination for m in result.mounts] == ["/a", "/m", "/z", "/a/b", "/a/b/c", "/b/x/y/z"]


def test_anonymous_names_are_unique():
    result = plan(binds=[f"/v{i}" for i in range(50)])
    assert len({r.name for r in result.volumes}) == 50


@pytest.mark.parametrize(
    ("requests", "message"),
    [
        ({"binds": ["a1:/data", "a2:/data/"]}, "Duplicate mount point: /data"),
        ({"binds": ["/data", "v1:/data"]}, "Duplicate mount point: /data"),
        (
            {"binds": ["v1:/data"], "mounts": [{"Type": "volume", "Source": "v2", "Target": "/data"}]},
            "Duplicate mount point: /data",
        ),
        (
            {"mounts": [{"Type": "tmpfs", "Target": "/t"}, {"Type": "volume", "Target": "/t"}]},
            "Duplicate mount point: /t",
        ),
        ({"binds": ["v1:/data:rx"]}, "invalid mode: rx"),
        (
            {"mounts": [{"Type": "bind", "Source": "/x", "Target": "/data"}]},
            'invalid mount config for type "bind": bind source path does not exist: /x',
        ),
        ({"binds": [3]}, "invalid Binds: entries must be strings, got 3"),
        (
            {"config_volumes": {"data": {}}},
            "invalid mount config for type \"volume\": invalid mount path: 'data' mount path must be absolute",
        ),
        ({"image_volumes": {"/": {}}}, 'invalid mount config for type "volume": invalid specification: '),
        (
            {
                "mounts": [
                    {"Type": "volume", "Target": "/a", "VolumeOptions": {"DriverConfig": {"Options": {"o": "x"}}}}
                ]
            },
            'option "o" needs "type" and "device"',
        ),
    ],
)
def test_refusals(requests, message):
    with pytest.raises((InvalidParameter, NotFound)) as caught:
        plan(**requests)
    assert message in caught.value.message


def test_a_volume_driver_names_the_driver_of_volumes_that_name_none():
    """HostConfig.VolumeDriver (--volume-driver): the plugin is looked up when the volume is made, not here."""
    plan = plan_mounts(
        binds=["named:/a"],
        config_volumes={"/anon": {}},
        mounts=[{"Type": "volume", "Source": "own", "Target": "/b", "VolumeOptions": {"DriverConfig": {"Name": "x"}}}],
        image_volumes={},
        volumes_from=[],
        volume_driver="flocker",
    )
    drivers = {r.destination: r.driver for r in plan.volumes}
    assert drivers == {"/a": "flocker", "/anon": "flocker", "/b": "x"}
    assert {m.destination: m.driver for m in plan.mounts} == drivers
