"""The path-stat header of docker cp: Go's FileMode bits and the base64 JSON the docker CLI decodes."""

import base64
import json
import stat

import pytest

from runtime.api.fsshapes import PATH_STAT_HEADER, go_file_mode, path_stat_header
from runtime.engine.copyarchive import PathStat


@pytest.mark.parametrize(
    ("st_mode", "go_mode"),
    [
        (stat.S_IFREG | 0o644, 0o644),
        (stat.S_IFDIR | 0o755, (1 << 31) | 0o755),
        (stat.S_IFLNK | 0o777, (1 << 27) | 0o777),
        (stat.S_IFCHR | 0o666, (1 << 26) | (1 << 21) | 0o666),
        (stat.S_IFIFO | 0o600, (1 << 25) | 0o600),
        (stat.S_IFREG | stat.S_ISUID | 0o755, (1 << 23) | 0o755),
        (stat.S_IFDIR | stat.S_ISVTX | 0o777, (1 << 31) | (1 << 20) | 0o777),
    ],
)
def test_go_file_mode(st_mode, go_mode):
    assert go_file_mode(st_mode) == go_mode


def test_header_is_base64_json_as_moby_sets_it():
    name, value = path_stat_header(PathStat("passwd", 12, stat.S_IFREG | 0o644, 1_700_000_000_500_000_000, ""))
    assert name == PATH_STAT_HEADER
    assert json.loads(base64.b64decode(value)) == {
        "name": "passwd",
        "size": 12,
        "mode": 0o644,
        "mtime": "2023-11-14T22:13:20.5Z",
        "linkTarget": "",
    }
