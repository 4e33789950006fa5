"""The order of the events of a container's end, as dockerd 20.10 emits them."""

import time

import pytest

pytestmark = pytest.mark.root


def actions_of(ph, since: float, name: str) -> list[str]:
    out = ph.docker("events", "--since", str(since), "--until", str(time.time()), "--filter", f"container={name}",
                    "--format", "{{.Action}}{{with .Actor.Attributes.signal}} {{.}}{{end}}")  # fmt: skip
    return out.stdout.decode().splitlines()


def test_rm_force_of_a_running_container_kills_it_with_signal_9_before_it_dies(ph):
    ph.docker("run", "-d", "--name", "forced", "busybox", "sleep", "300", check=True)
    since = time.time()
    ph.docker("rm", "-f", "forced", check=True)
    assert actions_of(ph, since, "forced") == ["kill 9", "die", "destroy"]


def test_a_volume_is_unmounted_after_its_container_dies(ph):
    since = time.time()
    ph.docker("run", "--name", "mounting", "-v", "kept:/data", "busybox", "true", check=True)
    out = ph.docker("events", "--since", str(since), "--until", str(time.time()), "--format", "{{.Type}} {{.Action}}")
    ends = [line for line in out.stdout.decode().splitlines() if line in ("container die", "volume unmount")]
    assert ends == ["container die", "volume unmount"]
