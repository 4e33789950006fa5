"""realize() and remove_anonymous(): volumes made, filled from the image, rolled back, and removed by rm -v."""

import pytest

from runtime.errors import HostError, InvalidParameter, NotFound
from runtime.volumes import MountPoint, VolumeService, plan_mounts, realize, remove_anonymous


def plan(**requests):
    fields = {"binds": [], "config_volumes": {}, "mounts": [], "image_volumes": {}, "volumes_from": []}
    return plan_mounts(**{**fields, **requests})


@pytest.fixture
def volumes(tmp_path):
    return VolumeService(tmp_path / "root")


@pytest.fixture
def image(tmp_path):
    """A fake image rootfs; fill copies from it what an ImageStore.copy_out would."""
    root = tmp_path / "image"
    (root / "var/lib/db").mkdir(parents=True)
    (root / "var/lib/db/seed.sql").write_text("CREATE TABLE t;")
    (root / "etc/app").mkdir(parents=True)
    (root / "etc/app/app.conf").write_text("port=80")
    return root


def copying_from(image, filled):
    def fill(destination, data_dir):
        filled.append(destination)
        source = image / destination.lstrip("/")
        for item in source.iterdir() if source.is_dir() else []:
            (data_dir / item.name).write_bytes(item.read_bytes())

    return fill


def names(volumes):
    return sorted(v.name for v in volumes.list({}, in_use=lambda n: False))


def test_image_volume_gets_the_image_content(volumes, image):
    filled = []
    (mount,) = realize(plan(image_volumes={"/var/lib/db": {}}), volumes, copying_from(image, filled))
    volume = volumes.get(mount.name)
    assert mount.source == str(volume.mountpoint) and volume.anonymous
    assert (volume.mountpoint / "seed.sql").read_text() == "CREATE TABLE t;"
    assert filled == ["/var/lib/db"]


def test_a_new_named_volume_over_image_content_is_filled_an_existing_one_is_not(volumes, image):
    existing = volumes.create("conf")
    (existing.mountpoint / "app.conf").write_text("port=8080")
    filled = []
    realize(plan(binds=["conf:/etc/app", "fresh:/var/lib/db"]), volumes, copying_from(image, filled))
    assert filled == ["/var/lib/db"]
    assert (existing.mountpoint / "app.conf").read_text() == "port=8080"
    assert (volumes.get("fresh").mountpoint / "seed.sql").exists()


def test_nocopy_and_volumes_from_are_never_filled(volumes, image):
    filled = []
    realize(plan(binds=["seed:/var/lib/db:nocopy"]), volumes, copying_from(image, filled))
    theirs = realize(plan(image_volumes={"/etc/app": {}}), volumes, copying_from(image, filled))
    filled.clear()
    mounts = realize(plan(volumes_from=[(theirs, "ro")]), volumes, copying_from(image, filled))
    assert filled == [] and list(volumes.get("seed").mountpoint.iterdir()) == []
    assert mounts[0].name == theirs[0].name and mounts[0].rw is False


def test_the_data_packed_volume_container_pattern(volumes, image):
    """Docker's docs: a created-only container with an image VOLUME hands its filled volume to others."""
    data_container = realize(plan(image_volumes={"/var/lib/db": {}}), volumes, copying_from(image, []))
    app = realize(plan(volumes_from=[(data_container, "rw")]), volumes, copying_from(image, []))
    assert app[0].source == data_container[0].source
    assert (volumes.get(app[0].name).mountpoint / "seed.sql").read_text() == "CREATE TABLE t;"


def test_a_failing_fill_removes_the_volumes_made_by_this_call_only(volumes, image, tmp_path):
    volumes.create("existing")

    def fill(destination, data_dir):
        if destination == "/etc/app":
            raise HostError("image: copy /etc/app: no space left on device")

    request = plan(binds=["existing:/old", "newnamed:/var/lib/db"], image_volumes={"/etc/app": {}})
    with pytest.raises(HostError, match="no space left"):
        realize(request, volumes, fill)
    assert names(volumes) == ["existing"]
    assert sorted(p.name for p in (tmp_path / "root" / "volumes").iterdir()) == ["existing"]


def test_a_volumes_from_volume_that_is_gone_fails_before_anything_is_made(volumes):
    gone = [MountPoint("volume", "/x/_data", "/data", "", True, name="vanished", driver="local")]
    with pytest.raises(NotFound, match="get vanished: no such volume"):
        realize(plan(binds=["/fresh"], volumes_from=[(gone, "rw")]), volumes, lambda d, p: None)
    assert names(volumes) == []


def test_a_bad_request_creates_nothing(volumes, tmp_path):
    with pytest.raises(InvalidParameter, match="Duplicate mount point: /data"):
        realize(plan(binds=["first:/a", "/b", "v1:/data", "v2:/data"]), volumes, lambda d, p: None)
    with pytest.raises(InvalidParameter, match="bind source path does not exist: /x"):
        realize(
            plan(binds=["first:/a"], mounts=[{"Type": "bind", "Source": "/x", "Target": "/d"}]),
            volumes,
            lambda d, p: None,
        )
    assert names(volumes) == []


def test_rm_v_removes_anonymous_volumes_nobody_else_uses(volumes, tmp_path):
    mounts = realize(
        plan(binds=[f"{tmp_path}:/host", "named:/named", "/anon-a"], image_volumes={"/anon-b": {}}),
        volumes,
        lambda d, p: None,
    )
    by_destination = {m.destination: m for m in mounts}
    shared = by_destination["/anon-b"].name
    users = {shared: ["me", "other"]}
    removed = remove_anonymous(volumes, mounts, lambda n: users.get(n, ["me"]), container_id="me")
    assert removed == [by_destination["/anon-a"].name]
    assert names(volumes) == sorted(["named", shared])
    assert tmp_path.is_dir()  # a bind source is never touched


def test_rm_v_tolerates_a_volume_already_gone(volumes):
    mounts = realize(plan(binds=["/anon"]), volumes, lambda d, p: None)
    volumes.remove(mounts[0].name, force=False, users=lambda n: [])
    assert remove_anonymous(volumes, mounts, lambda n: [], container_id="me") == []
