"""`--mount` and `-v` as the docker CLI sends them."""

import os

import pytest

from porthole.cli.flags.mounts import parse_mount, split_volumes
from runtime.errors import InvalidParameter


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("type=bind,source=/a,target=/b,readonly", {"Type": "bind", "Source": "/a", "Target": "/b", "ReadOnly": True}),
        (
            "type=bind,src=/a,dst=/b,ro=false,bind-propagation=RSHARED",
            {
                "Type": "bind",
                "Source": "/a",
                "Target": "/b",
                "ReadOnly": False,
                "BindOptions": {"Propagation": "rshared"},
            },
        ),
        ("source=data,target=/data", {"Type": "volume", "Source": "data", "Target": "/data"}),
        (
            "type=volume,source=data,destination=/data,volume-nocopy,volume-label=a=b,volume-driver=local,"
            "volume-opt=o=size=1m",
            {
                "Type": "volume",
                "Source": "data",
                "Target": "/data",
                "VolumeOptions": {
                    "NoCopy": True,
                    "Labels": {"a": "b"},
                    "DriverConfig": {"Name": "local", "Options": {"o": "size=1m"}},
                },
            },
        ),
        (
            "type=tmpfs,target=/run,tmpfs-size=64m,tmpfs-mode=1770",
            {"Type": "tmpfs", "Target": "/run", "TmpfsOptions": {"SizeBytes": 64 << 20, "Mode": 0o1770}},
        ),
        ('type=bind,"source=/a,b",target=/c', {"Type": "bind", "Source": "/a,b", "Target": "/c"}),
        ("TYPE=Bind,Source=/a,Target=/b,ro=1", {"Type": "bind", "Source": "/a", "Target": "/b", "ReadOnly": True}),
    ],
)
def test_parse_mount(spec, expected):
    assert parse_mount(spec) == expected


def test_a_relative_source_is_taken_from_the_current_directory():
    assert parse_mount("type=bind,source=./x,target=/x")["Source"] == os.path.join(os.getcwd(), "x")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("type=bind,source=/a", "target is required"),
        ("type=bind,source=/a,target=/b,shared", "field 'shared' must be a key=value pair"),
        ("type=bind,source=/a,target=/b,colour=red", "unknown key 'colour'"),
        ("type=bind,source=/a,target=/b,readonly=maybe", "readonly: 'maybe' is not a boolean"),
        ("type=bind,source=/a,target=/b,volume-nocopy", "cannot mix 'volume-*' options with type 'bind'"),
        ("type=volume,target=/b,tmpfs-size=1m", "cannot mix 'tmpfs-*' options with type 'volume'"),
        ("type=tmpfs,target=/b,tmpfs-size=lots", "tmpfs-size: invalid size 'lots'"),
        ("type=tmpfs,target=/b,tmpfs-mode=999", "tmpfs-mode: '999' is not an octal mode"),
    ],
)
def test_bad_mounts(spec, message):
    with pytest.raises(InvalidParameter) as caught:
        parse_mount(spec)
    assert caught.value.message.startswith(f"invalid mount {spec!r}: ")
    assert message in caught.value.message


def test_split_volumes_tells_binds_from_anonymous_volumes():
    binds, anonymous = split_volumes(["/h:/c:ro", "data:/data", "/scratch", "./rel:/rel"])
    assert binds == ["/h:/c:ro", "data:/data", f"{os.getcwd()}/rel:/rel"]
    assert anonymous == {"/scratch": {}}


def test_an_empty_volume_spec_is_refused():
    with pytest.raises(InvalidParameter, match="invalid volume spec '': empty"):
        split_volumes([""])
