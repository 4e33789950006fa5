"""docker cp's path rules (moby's archive package): absolute paths with "/" and "/." kept, Go's Base, and the
member names of a path's tar."""

import io
import os
import tarfile

import pytest

from runtime.engine import copyarchive
from runtime.engine.copyarchive import absolute_path, go_base


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("etc", "/etc"),
        ("/etc/", "/etc/"),
        ("/etc/.", "/etc/."),
        ("etc/./", "/etc/./"),
        ("/a/../../b", "/b"),
        ("/", "/"),
        ("//x", "/x"),
        (".", "/."),
        ("/x/..", "/"),
    ],
)
def test_absolute_path_keeps_trailing_slash_and_dot(given, expected):
    assert absolute_path(given) == expected


@pytest.mark.parametrize(
    ("path", "base"), [("/etc", "etc"), ("/etc/", "etc"), ("/etc/.", "."), ("/", "/"), ("", "."), ("a//", "a")]
)
def test_go_base(path, base):
    assert go_base(path) == base


def _names(path: str) -> list[str]:
    """Outside a RootView the functions read the host's tree: a temporary directory's absolute path."""
    out = io.BytesIO()
    copyarchive.write_path_archive(path, out)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        return tar.getnames()


def test_members_are_named_from_the_requested_last_element(tmp_path):
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "sub" / "f").write_text("f")
    os.symlink(tmp_path / "data", tmp_path / "link")
    assert _names(f"{tmp_path}/data") == ["data", "data/sub", "data/sub/f"]
    assert _names(f"{tmp_path}/data/.") == [".", "./sub", "./sub/f"]
    assert _names(f"{tmp_path}/link") == ["link"]  # the symlink itself
    assert _names(f"{tmp_path}/link/") == ["link", "link/sub", "link/sub/f"]
