"""HostConfig.Binds and VolumesFrom entries: every form Docker's Linux parser accepts, and its error texts."""

import pytest

from runtime.errors import InvalidParameter
from runtime.volumes import parse_bind, parse_volumes_from

# "H" stands for an existing host directory (tmp_path); "M" for one that does not exist.
VALID = [
    # raw, type, source, destination, rw, mode, propagation, copy_data
    ("/data", "volume", "", "/data", True, "z", "", True),
    ("/with space", "volume", "", "/with space", True, "z", "", True),
    ("H:/ctr", "bind", "H", "/ctr", True, "", "rprivate", True),
    ("H:/ctr:ro", "bind", "H", "/ctr", False, "ro", "rprivate", True),
    ("H:/ctr:rw", "bind", "H", "/ctr", True, "rw", "rprivate", True),
    ("H:/ctr:", "bind", "H", "/ctr", True, "", "rprivate", True),
    ("H/:/ctr/sub/../x/", "bind", "H", "/ctr/x", True, "", "rprivate", True),
    ("H:/ctr:ro,z", "bind", "H", "/ctr", False, "ro,z", "rprivate", True),
    ("H:/ctr:Z,rslave,ro", "bind", "H", "/ctr", False, "Z,rslave,ro", "rslave", True),
    ("H:/ctr:shared", "bind", "H", "/ctr", True, "shared", "shared", True),
    ("H:/ctr:ro,rshared,cached", "bind", "H", "/ctr", False, "ro,rshared,cached", "rshared", True),
    ("name:/ctr", "volume", "name", "/ctr", True, "z", "", True),
    ("my-vol_1.x:/ctr:ro", "volume", "my-vol_1.x", "/ctr", False, "ro", "", True),
    ("name:/ctr:nocopy", "volume", "name", "/ctr", True, "nocopy", "", False),
    ("name:/ctr:ro,nocopy,z", "volume", "name", "/ctr", False, "ro,nocopy,z", "", False),
]

INVALID = [
    ("", "invalid volume specification: ''"),
    (":", "invalid volume specification: ':'"),
    ("::", "invalid volume specification: '::'"),
    (":/ctr", "invalid volume specification: ':/ctr'"),
    ("H:", "invalid volume specification: 'H:'"),
    ("H:::", "invalid volume specification: 'H:::'"),
    ("H:/a:ro:x", "invalid volume specification: 'H:/a:ro:x'"),
    ("/path:rw", "invalid volume specification: '/path:rw'"),
    ("path:ro", "invalid volume specification: 'path:ro'"),
    ("/path:shared", "invalid volume specification: '/path:shared'"),
    ("H:/ctr:rx", "invalid mode: rx"),
    ("H:/ctr:ro,rw", "invalid mode: ro,rw"),
    ("H:/ctr:ro,rshared,rslave", "invalid mode: ro,rshared,rslave"),
    ("H:/ctr:rwz", "invalid mode: rwz"),
    (
        "H:ctr",
        "invalid volume specification: 'H:ctr': invalid mount config for type \"bind\": "
        "invalid mount path: 'ctr' mount path must be absolute",
    ),
    (
        "./",
        "invalid volume specification: './': invalid mount config for type \"volume\": "
        "invalid mount path: './' mount path must be absolute",
    ),
    (
        "H:/",
        "invalid volume specification: 'H:/': invalid mount config for type \"bind\": "
        "invalid specification: destination can't be '/'",
    ),
    (
        "name:/.",
        "invalid volume specification: 'name:/.': invalid mount config for type \"volume\": "
        "invalid specification: destination can't be '/'",
    ),
    (
        "H:/ctr:nocopy",
        "invalid volume specification: 'H:/ctr:nocopy': invalid mount config for type \"bind\": "
        "field VolumeOptions must not be specified",
    ),
    (
        "name:/ctr:rshared",
        "invalid volume specification: 'name:/ctr:rshared': invalid mount config for type \"volume\": "
        "field BindOptions must not be specified",
    ),
    (
        "./data:/ctr",
        'create ./data: "./data" includes invalid characters for a local volume name, only '
        '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
    ),
    (
        "dir/sub:/ctr",
        'create dir/sub: "dir/sub" includes invalid characters for a local volume name, only '
        '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
    ),
    ("a:/ctr", "create a: volume name is too short, names should be at least two alphanumeric characters"),
]


@pytest.fixture
def paths(tmp_path):
    host = tmp_path / "host"
    host.mkdir()
    return lambda text: text.replace("H", str(host)).replace("M", str(tmp_path / "missing"))


@pytest.mark.parametrize(("raw", "kind", "source", "destination", "rw", "mode", "propagation", "copy"), VALID)
def test_valid_binds(paths, raw, kind, source, destination, rw, mode, propagation, copy):
    spec = parse_bind(paths(raw))
    got = (spec.type, spec.source, spec.destination, spec.rw, spec.mode, spec.propagation, spec.copy_data)
    assert got == (kind, paths(source), destination, rw, mode, propagation, copy)


@pytest.mark.parametrize(("raw", "message"), INVALID)
def test_invalid_binds(paths, raw, message):
    with pytest.raises(InvalidParameter) as caught:
        parse_bind(paths(raw))
    assert caught.value.message == paths(message)


def test_a_file_is_a_valid_bind_source(tmp_path):
    host_file = tmp_path / "config.ini"
    host_file.write_text("x=1\n")
    assert parse_bind(f"{host_file}:/etc/app.ini:ro").source == str(host_file)


def test_a_missing_source_is_made_at_start_as_dockers_v_does(tmp_path):
    spec = parse_bind(f"{tmp_path}/not/yet:/ctr")
    assert (spec.source, spec.create_source) == (f"{tmp_path}/not/yet", True)
    assert not (tmp_path / "not").exists()  # not by parsing: a refused create must leave nothing


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("data", ("data", "rw")),
        ("data:ro", ("data", "ro")),
        ("data:rw", ("data", "rw")),
        ("data:ro,z", ("data", "ro,z")),
        ("4f2a9c:ro", ("4f2a9c", "ro")),
    ],
)
def test_volumes_from(spec, expected):
    assert parse_volumes_from(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "volumes-from specification cannot be an empty string"),
        ("data:rx", "invalid mode: rx"),
        ("data:ro,rshared", "invalid mode: ro,rshared"),
        ("data:nocopy", "invalid mode: nocopy"),
    ],
)
def test_invalid_volumes_from(spec, message):
    with pytest.raises(InvalidParameter) as caught:
        parse_volumes_from(spec)
    assert caught.value.message == message
