"""HostConfig.Mounts objects (`--mount`, docker-py's Mount): accepted forms and Docker's error texts."""

import pytest

from runtime.errors import InvalidParameter
from runtime.volumes import parse_mount


@pytest.fixture
def host(tmp_path):
    return str(tmp_path)


def test_bind(host):
    spec = parse_mount({"Type": "bind", "Source": host, "Target": "/ctr/", "ReadOnly": True})
    assert (spec.type, spec.source, spec.destination, spec.rw, spec.mode, spec.propagation) == (
        "bind",
        host,
        "/ctr",
        False,
        "",
        "rprivate",
    )


def test_bind_with_propagation_and_nulls(host):
    spec = parse_mount(
        {
            "Type": "bind",
            "Source": host,
            "Target": "/ctr",
            "ReadOnly": None,
            "BindOptions": {"Propagation": "rslave"},
            "VolumeOptions": None,
            "Consistency": "cached",
        }
    )
    assert (spec.rw, spec.propagation) == (True, "rslave")


def test_named_volume_with_options():
    spec = parse_mount(
        {
            "Type": "volume",
            "Source": "cache",
            "Target": "/var/cache",
            "VolumeOptions": {"NoCopy": True, "Labels": {"team": "a"}, "DriverConfig": {"Name": "local"}},
        }
    )
    assert (spec.source, spec.mode, spec.copy_data, spec.labels, spec.driver) == (
        "cache",
        "z",
        False,
        {"team": "a"},
        "local",
    )


def test_anonymous_volume():
    spec = parse_mount({"Type": "volume", "Target": "/scratch"})
    assert (spec.type, spec.source, spec.copy_data, spec.rw) == ("volume", "", True, True)


@pytest.mark.parametrize(
    ("options", "data"),
    [
        (None, ""),
        ({"SizeBytes": 64 << 20}, "size=64m"),
        ({"SizeBytes": 3 << 30, "Mode": 0o1777}, "mode=1777,size=3g"),
        ({"SizeBytes": 1000}, "size=1000"),
        ({"SizeBytes": 4096, "Options": [["exec"]]}, "size=4k,exec"),
    ],
)
def test_tmpfs(options, data):
    spec = parse_mount({"Type": "tmpfs", "Target": "/run", "TmpfsOptions": options, "ReadOnly": True})
    assert (spec.type, spec.destination, spec.tmpfs_options, spec.rw) == ("tmpfs", "/run", data, False)


NAME_RULE = 'only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'


def bad(mount_type, why):
    return f'invalid mount config for type "{mount_type}": {why}'


INVALID = [
    ({"Type": "bind", "Source": "/x", "Target": "/ctr"}, bad("bind", "bind source path does not exist: /x")),
    ({"Type": "bind", "Target": "/ctr"}, bad("bind", "field Source must not be empty")),
    (
        {"Type": "bind", "Source": "rel", "Target": "/ctr"},
        bad("bind", "invalid mount path: 'rel' mount path must be absolute"),
    ),
    ({"Type": "volume", "Target": ""}, bad("volume", "field Target must not be empty")),
    (
        {"Type": "volume", "Source": "v1", "Target": "ctr"},
        bad("volume", "invalid mount path: 'ctr' mount path must be absolute"),
    ),
    ({"Type": "volume", "Target": "/"}, bad("volume", "invalid specification: destination can't be '/'")),
    ({"Type": "floppy", "Target": "/a"}, bad("floppy", "mount type unknown")),
    ({"Target": "/a"}, bad("", "mount type unknown")),
    (
        {"Type": "bind", "Source": "H", "Target": "/a", "VolumeOptions": {}},
        bad("bind", "field VolumeOptions must not be specified"),
    ),
    (
        {"Type": "volume", "Target": "/a", "BindOptions": {"Propagation": "shared"}},
        bad("volume", "field BindOptions must not be specified"),
    ),
    (
        {"Type": "tmpfs", "Target": "/a", "VolumeOptions": {"NoCopy": True}},
        bad("tmpfs", "field VolumeOptions must not be specified"),
    ),
    ({"Type": "tmpfs", "Source": "x", "Target": "/a"}, bad("tmpfs", "field Source must not be specified")),
    (
        {"Type": "tmpfs", "Target": "/a", "TmpfsOptions": {"Options": [["suid"]]}},
        bad("tmpfs", "invalid option: suid"),
    ),
    (
        {"Type": "tmpfs", "Target": "/a", "TmpfsOptions": {"Options": [[]]}},
        bad("tmpfs", "invalid option array length"),
    ),
    (
        {"Type": "tmpfs", "Target": "/a", "TmpfsOptions": {"SizeBytes": -1}},
        bad("tmpfs", "field TmpfsOptions.SizeBytes must not be negative, got -1"),
    ),
    (
        {"Type": "bind", "Source": "H", "Target": "/a", "BindOptions": {"Propagation": "sideways"}},
        bad("bind", "invalid propagation mode: sideways"),
    ),
    (
        {"Type": "volume", "Source": "v1", "Target": "/a", "VolumeOptions": {"Subpath": "sub"}},
        bad("volume", "field VolumeOptions.Subpath is not supported by porthole"),
    ),
    (
        {"Type": "volume", "Source": "bad/name", "Target": "/a"},
        f'create bad/name: "bad/name" includes invalid characters for a local volume name, {NAME_RULE}',
    ),
    ({"Type": "volume", "Source": 7, "Target": "/a"}, "invalid mount config: field Source must be a string, got 7"),
    (
        {"Type": "volume", "Target": "/a", "ReadOnly": "yes"},
        "invalid mount config: field ReadOnly must be a boolean, got 'yes'",
    ),
    (
        {"Type": "tmpfs", "Target": "/a", "TmpfsOptions": {"SizeBytes": True}},
        "invalid mount config: field TmpfsOptions.SizeBytes must be an integer, got True",
    ),
    (
        {"Type": "volume", "Target": "/a", "VolumeOptions": {"Labels": {"a": 1}}},
        "invalid mount config: field VolumeOptions.Labels must map strings to strings",
    ),
    (
        {"Type": "volume", "Target": "/a", "VolumeOptions": {"DriverConfig": "local"}},
        "invalid mount config: field VolumeOptions.DriverConfig must be an object, got 'local'",
    ),
    (["bind", "/a"], "invalid mount config: a mount must be an object, got ['bind', '/a']"),
]


@pytest.mark.parametrize(("obj", "message"), INVALID)
def test_invalid_mounts(host, obj, message):
    if isinstance(obj, dict) and obj.get("Source") == "H":
        obj = {**obj, "Source": host}
    with pytest.raises(InvalidParameter) as caught:
        parse_mount(obj)
    assert caught.value.message == message
