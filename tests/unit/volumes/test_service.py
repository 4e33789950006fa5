"""The volume store: create/get/list/remove/prune as `docker volume` does them, on disk."""

import json
import re
import threading

import pytest

from runtime.errors import Conflict, HostError, InvalidParameter, NotFound
from runtime.volumes import VolumeService
from runtime.volumes.names import ANONYMOUS_LABEL


def nobody(_name):
    return []


@pytest.fixture
def service(tmp_path):
    return VolumeService(tmp_path)


def test_create_makes_the_data_directory_and_metadata(service, tmp_path):
    volume = service.create("web-data", labels={"team": "a"}, driver_opts={})
    assert volume.mountpoint == tmp_path / "volumes" / "web-data" / "_data"
    assert volume.mountpoint.is_dir() and oct(volume.mountpoint.stat().st_mode & 0o777) == "0o755"
    saved = json.loads((tmp_path / "volumes" / "web-data" / "volume.json").read_text())
    assert saved["Labels"] == {"team": "a"} and saved["Anonymous"] is False
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", volume.created_at)


def test_create_without_a_name_makes_an_anonymous_volume(service):
    volume = service.create(None)
    assert re.fullmatch(r"[0-9a-f]{64}", volume.name)
    assert volume.anonymous and volume.labels == {ANONYMOUS_LABEL: ""}
    assert service.create("").name != volume.name


def test_an_existing_name_returns_the_existing_volume_unchanged(service):
    first = service.create("cache", labels={"v": "1"})
    (first.mountpoint / "kept").write_text("x")
    again = service.create("cache", labels={"v": "2"})
    assert again == first and (again.mountpoint / "kept").read_text() == "x"


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "message"),
    [
        ("x", {}, InvalidParameter, "create x: volume name is too short, names should be at least two"),
        ("../up", {}, InvalidParameter, 'create ../up: "../up" includes invalid characters'),
        ("_lead", {}, InvalidParameter, 'create _lead: "_lead" includes invalid characters'),
        ("v1", {"driver": "nfs"}, NotFound, 'create v1: error looking up volume plugin nfs: plugin "nfs" not found'),
        ("v1", {"driver_opts": {"foo": "1"}}, InvalidParameter, 'create v1: invalid option: "foo"'),
        ("v1", {"driver_opts": {"type": "nfs"}}, InvalidParameter, 'create v1: missing required option: "device"'),
        ("v1", {"driver_opts": {"size": "1g"}}, InvalidParameter, 'create v1: volume option "size" is not supported'),
        (
            "v1",
            {"driver_opts": {"type": "none", "device": "/srv"}},
            InvalidParameter,
            'create v1: type "none" needs o=bind',
        ),
    ],
)
def test_create_refuses(service, tmp_path, name, kwargs, error, message):
    with pytest.raises(error) as caught:
        service.create(name, **kwargs)
    assert caught.value.message.startswith(message)
    assert list((tmp_path / "volumes").iterdir()) == []


def test_get_missing(service):
    with pytest.raises(NotFound) as caught:
        service.get("nope")
    assert caught.value.message == "get nope: no such volume"


def test_volumes_survive_a_restart(service, tmp_path):
    named = service.create("keep", labels={"a": "b"})
    anonymous = service.create(None)
    reopened = VolumeService(tmp_path)
    assert reopened.get("keep") == named and reopened.get(anonymous.name) == anonymous


def test_restart_sweeps_interrupted_creates_and_removes(service, tmp_path):
    service.create("real")
    for leftover in (".creating-1234", ".removing-abcd"):
        (tmp_path / "volumes" / leftover / "_data").mkdir(parents=True)
    reopened = VolumeService(tmp_path)
    assert sorted(p.name for p in (tmp_path / "volumes").iterdir()) == ["real"]
    assert [v.name for v in reopened.list({}, in_use=lambda n: False)] == ["real"]


def test_a_hand_made_volume_directory_is_a_named_volume(tmp_path):
    (tmp_path / "volumes" / "legacy" / "_data").mkdir(parents=True)
    volume = VolumeService(tmp_path).get("legacy")
    assert (volume.anonymous, volume.labels) == (False, None)


@pytest.fixture
def populated(service):
    service.create("alpha", labels={"env": "prod", "tier": "db"})
    service.create("beta", labels={"env": "dev"})
    service.create("alphabet")
    service.create("f" * 64, anonymous=True)
    return service


USED = {"alpha", "beta"}


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        ({}, ["alpha", "alphabet", "beta", "f" * 64]),
        ({"name": ["alpha"]}, ["alpha", "alphabet"]),
        ({"name": ["^alpha$"]}, ["alpha"]),
        ({"name": ["bet", "zzz"]}, ["alphabet", "beta"]),
        ({"name": ["[unclosed"]}, []),
        ({"label": ["env"]}, ["alpha", "beta"]),
        ({"label": ["env=prod"]}, ["alpha"]),
        ({"label": ["env=prod", "tier=db"]}, ["alpha"]),
        ({"label": ["env=prod", "tier=web"]}, []),
        ({"label": [ANONYMOUS_LABEL]}, ["f" * 64]),
        ({"dangling": ["true"]}, ["alphabet", "f" * 64]),
        ({"dangling": ["0"]}, ["alpha", "beta"]),
        ({"driver": ["local"]}, ["alpha", "alphabet", "beta", "f" * 64]),
        ({"driver": ["nfs"]}, []),
        ({"dangling": ["1"], "name": ["alpha"]}, ["alphabet"]),
    ],
)
def test_list_filters(populated, filters, names):
    assert [v.name for v in populated.list(filters, in_use=lambda n: n in USED)] == names


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"label!": ["a"]}, "invalid filter 'label!'"),
        ({"status": ["x"]}, "invalid filter 'status'"),
        ({"dangling": ["maybe"]}, "invalid filter 'dangling=maybe'"),
        ({"dangling": ["true", "false"]}, "invalid filter 'dangling=true,false'"),
    ],
)
def test_list_refuses_bad_filters(populated, filters, message):
    with pytest.raises(InvalidParameter) as caught:
        populated.list(filters, in_use=lambda n: False)
    assert caught.value.message == message


def test_remove_deletes_the_data(service, tmp_path):
    volume = service.create("gone")
    (volume.mountpoint / "file").write_text("data")
    service.remove("gone", force=False, users=nobody)
    assert not (tmp_path / "volumes" / "gone").exists()
    with pytest.raises(NotFound):
        service.get("gone")


def test_remove_in_use_is_a_conflict_even_forced(service):
    service.create("busy")
    for force in (False, True):
        with pytest.raises(Conflict) as caught:
            service.remove("busy", force=force, users=lambda n: ["c1" * 32, "c2" * 32])
        assert caught.value.message == f"remove busy: volume is in use - [{'c1' * 32}, {'c2' * 32}]"
    assert service.get("busy").mountpoint.is_dir()


def test_remove_missing(service):
    with pytest.raises(NotFound, match="get nope: no such volume"):
        service.remove("nope", force=False, users=nobody)
    service.remove("nope", force=True, users=nobody)  # rm -f forgives a missing volume, as Docker's does


def test_remove_never_follows_a_symlink_out_of_the_volume(service, tmp_path):
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "file").write_text("keep me")
    volume = service.create("linky")
    (volume.mountpoint / "link").symlink_to(outside)
    service.remove("linky", force=False, users=nobody)
    assert (outside / "file").read_text() == "keep me"


def test_remove_reports_a_delete_the_host_refuses(service, tmp_path, monkeypatch):
    service.create("stuck")

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("runtime.volumes.layout.shutil.rmtree", refuse)
    with pytest.raises(HostError, match="volume: remove stuck: Permission denied: .*/.removing-"):
        service.remove("stuck", force=False, users=nobody)
    with pytest.raises(NotFound):  # the name is free already; the leftover is swept at the next start
        service.get("stuck")


def test_prune_removes_unused_anonymous_volumes_only(service):
    kept_named = service.create("named")
    anonymous_used = service.create(None)
    anonymous_free = service.create(None)
    (anonymous_free.mountpoint / "blob").write_bytes(b"x" * 5000)
    (anonymous_free.mountpoint / "sub").mkdir()
    (anonymous_free.mountpoint / "sub" / "hard").hardlink_to(anonymous_free.mountpoint / "blob")
    deleted, reclaimed = service.prune({}, users=lambda n: ["c"] if n == anonymous_used.name else [])
    assert (deleted, reclaimed) == ([anonymous_free.name], 5000)
    remaining = {v.name for v in service.list({}, in_use=lambda n: False)}
    assert remaining == {kept_named.name, anonymous_used.name}


def test_prune_all_and_labels(service):
    service.create("keep", labels={"keep": "yes"})
    service.create("drop", labels={"keep": "no"})
    service.create("plain")
    deleted, _ = service.prune({"all": ["true"], "label!": ["keep=yes"]}, users=nobody)
    assert deleted == ["drop", "plain"]
    assert service.prune({"all": ["1"], "label": ["keep"]}, users=nobody)[0] == ["keep"]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"all": ["yes"]}, "invalid filter 'all': strconv.ParseBool: parsing \"yes\": invalid syntax"),
        ({"all": ["1", "0"]}, "invalid filter 'all=[1 0]': only one value is expected"),
        ({"dangling": ["true"]}, "invalid filter 'dangling'"),
    ],
)
def test_prune_refuses_bad_filters(service, filters, message):
    service.create(None)
    with pytest.raises(InvalidParameter) as caught:
        service.prune(filters, users=nobody)
    assert caught.value.message == message
    assert len(service.list({}, in_use=lambda n: False)) == 1


def test_concurrent_creates_of_one_name_make_one_volume(service, tmp_path):
    results, barrier = [], threading.Barrier(8)

    def create():
        barrier.wait()
        results.append(service.create_if_missing("shared"))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [made for _, made in results].count(True) == 1
    assert all(volume is results[0][0] for volume, _ in results)
    assert [p.name for p in (tmp_path / "volumes").iterdir()] == ["shared"]


def test_concurrent_creates_and_removes_keep_disk_and_table_in_step(service, tmp_path):
    def churn(worker):
        for i in range(20):
            name = f"w{worker}-{i}"
            service.create(name)
            if i % 2:
                service.remove(name, force=False, users=nobody)

    threads = [threading.Thread(target=churn, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    listed = {v.name for v in service.list({}, in_use=lambda n: False)}
    assert listed == {f"w{w}-{i}" for w in range(4) for i in range(0, 20, 2)}
    assert {p.name for p in (tmp_path / "volumes").iterdir()} == listed


def test_events_tell_the_engine_what_appeared_and_went(tmp_path):
    seen = []
    service = VolumeService(tmp_path, events=lambda action, name: seen.append((action, name)))
    service.create("ev")
    service.create("ev")  # already there: nothing new
    anonymous = service.create(None)
    service.remove("ev", force=False, users=nobody)
    service.prune({}, users=nobody)
    assert seen == [("create", "ev"), ("create", anonymous.name), ("destroy", "ev"), ("destroy", anonymous.name)]


def test_a_name_as_long_as_the_filesystem_allows(service):
    name = "v" * 255
    volume = service.create(name)
    assert volume.mountpoint.is_dir()
    service.remove(name, force=False, users=nobody)


def test_a_name_too_long_for_a_directory_is_refused(service):
    with pytest.raises(InvalidParameter, match="volume name is too long: 256 characters, at most 255"):
        service.create("v" * 256)
