import pytest

from runtime.cgroups import detect_mode, open_manager
from runtime.errors import InvalidParameter


def test_detect_mode(tmp_path, fake_host):
    assert detect_mode(fake_host.v2(tmp_path / "unified-host")) == "v2"
    assert detect_mode(fake_host.v1(tmp_path / "hybrid-host")) == "v1"  # hybrid counts as v1
    legacy = tmp_path / "legacy-host"
    (legacy / "memory").mkdir(parents=True)
    assert detect_mode(legacy) == "v1"


@pytest.mark.parametrize("group", ["", "/", "..", "a/../../b", "porthole/.."])
def test_group_must_stay_below_the_root(tmp_path, group):
    with pytest.raises(InvalidParameter, match="must name a group below the cgroup root"):
        open_manager(group, cgroup_root=tmp_path)


def test_a_leading_slash_is_relative_to_the_root(tmp_path, fake_host):
    root = fake_host.v2(tmp_path / "cg")
    assert open_manager("/docker/abc", cgroup_root=root).paths() == {"": root / "docker" / "abc"}
