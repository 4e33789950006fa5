"""`docker inspect` of containers: State, Config, HostConfig and Mounts as Docker shapes them."""

import os
import time
from datetime import UTC, datetime

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root


def _time(text: str) -> float:
    main, _, fraction = text.rstrip("Z").partition(".")
    seconds = datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()
    return seconds + (float(f"0.{fraction}") if fraction else 0.0)


def test_state_of_a_running_container(ph, client):
    before = time.time()
    container = client.containers.run("busybox", ["sleep", "60"], detach=True)
    container.reload()  # run() returns the attributes read at create
    state = container.attrs["State"]
    assert state["Status"] == "running"
    assert state["Running"] is True
    assert state["Paused"] is False and state["Restarting"] is False and state["Dead"] is False
    assert state["OOMKilled"] is False
    assert state["ExitCode"] == 0 and state["Error"] == ""
    assert state["FinishedAt"] == "0001-01-01T00:00:00Z"
    assert before - 1 <= _time(state["StartedAt"]) <= time.time() + 1
    with open(f"/proc/{state['Pid']}/cmdline", "rb") as f:
        assert f.read() == b"sleep\x0060\x00"


def test_state_of_an_exited_container(ph, client):
    ph.docker("run", "--name", "done", "busybox", "sh", "-c", "sleep 0.3; exit 7")
    state = client.api.inspect_container("done")["State"]
    assert state["Status"] == "exited"
    assert state["Running"] is False
    assert state["Pid"] == 0
    assert state["ExitCode"] == 7
    ran = _time(state["FinishedAt"]) - _time(state["StartedAt"])
    assert 0.25 <= ran < 5


def test_config_carries_what_run_was_given(ph, client):
    ph.docker(
        "create",
        "--name",
        "cfg",
        "-e",
        "A=1",
        "-w",
        "/w",
        "-h",
        "hh",
        "-u",
        "nobody",
        "-l",
        "x=y",
        "--stop-signal",
        "SIGUSR1",
        "--stop-timeout",
        "3",
        "busybox",
        "sleep",
        "5",
        check=True,
    )
    attrs = client.api.inspect_container("cfg")
    config = attrs["Config"]
    assert config["Image"] == "busybox"
    assert config["Cmd"] == ["sleep", "5"]
    assert "A=1" in config["Env"]
    assert config["WorkingDir"] == "/w"
    assert config["Hostname"] == "hh"
    assert config["User"] == "nobody"
    assert config["Labels"] == {"x": "y"}
    assert config["StopSignal"] == "SIGUSR1"
    assert config["StopTimeout"] == 3
    assert attrs["Name"] == "/cfg"
    assert attrs["Path"] == "sleep" and attrs["Args"] == ["5"]
    assert attrs["Image"].startswith("sha256:")
    assert attrs["Image"] == client.images.get("busybox").id


def test_hostname_defaults_to_the_short_id(ph, client):
    container = client.containers.create("busybox", ["hostname"])
    assert container.attrs["Config"]["Hostname"] == container.id[:12]
    container.start()
    container.wait(timeout=10)
    assert container.logs() == container.id[:12].encode() + b"\n"


def test_host_config_carries_restart_policy_auto_remove_and_log_config(ph, client):
    ph.docker("create", "--name", "hc", "--restart", "on-failure:4", "busybox", "true", check=True)
    hc = client.api.inspect_container("hc")["HostConfig"]
    assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 4}
    assert hc["AutoRemove"] is False
    assert hc["LogConfig"]["Type"] == "json-file"
    assert hc["NetworkMode"] in ("bridge", "default")
    ph.docker("create", "--name", "hc2", "--rm", "busybox", "true", check=True)
    assert client.api.inspect_container("hc2")["HostConfig"]["AutoRemove"] is True


def test_host_config_shows_the_isolation_defaults_applied_as_dockers_does(ph, client, busybox_rootfs):
    ph.docker("create", "--name", "plain", "busybox", "true", check=True)
    hc = client.api.inspect_container("plain")["HostConfig"]
    assert hc["ShmSize"] == 67108864
    assert hc["IpcMode"] == "private"
    cgroup_v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    assert hc["CgroupnsMode"] == ("private" if cgroup_v2 else "host")
    assert hc["MemorySwappiness"] is None
    # moby's default lists of today, which the shim applies (20.10's lacked /proc/interrupts and powercap)
    assert hc["MaskedPaths"] == [
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/devices/virtual/powercap",
    ]  # fmt: skip
    assert hc["ReadonlyPaths"] == ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
    ph.docker("create", "--name", "priv", "--privileged", "--shm-size", "8m", "--ipc", "shareable", "busybox", "true",
              check=True)  # fmt: skip
    hc = client.api.inspect_container("priv")["HostConfig"]
    assert (hc["MaskedPaths"], hc["ReadonlyPaths"], hc["ShmSize"], hc["IpcMode"]) == (None, None, 8 << 20, "shareable")


def test_config_env_is_null_without_any(ph, client, busybox_rootfs):
    ph.docker("import", str(busybox_rootfs), "no-env:1", check=True)
    ph.docker("create", "--name", "bare", "no-env:1", "true", check=True)
    assert client.api.inspect_container("bare")["Config"]["Env"] is None
    ph.docker("rmi", "-f", "no-env:1")


def test_mounts_describe_binds_and_volumes(ph, client, tmp_path):
    ph.docker(
        "create",
        "--name",
        "mnt",
        "-v",
        f"{tmp_path}:/host:ro",
        "-v",
        "named:/named",
        "-v",
        "/anon",
        "busybox",
        "true",
        check=True,
    )
    mounts = {m["Destination"]: m for m in client.api.inspect_container("mnt")["Mounts"]}
    assert set(mounts) == {"/host", "/named", "/anon"}
    assert mounts["/host"]["Type"] == "bind"
    assert mounts["/host"]["Source"] == str(tmp_path)
    assert mounts["/host"]["RW"] is False
    assert mounts["/named"]["Type"] == "volume"
    assert mounts["/named"]["Name"] == "named"
    assert mounts["/named"]["RW"] is True
    assert mounts["/anon"]["Type"] == "volume"
    assert len(mounts["/anon"]["Name"]) == 64
    for m in (mounts["/named"], mounts["/anon"]):
        assert os.path.isdir(m["Source"])
        assert m["Driver"] == "local"


def test_log_path_is_the_json_file_the_logs_are_in(ph, client):
    container = client.containers.run("busybox", ["echo", "to the file"], detach=True)
    container.wait(timeout=10)
    path = container.attrs["LogPath"]
    wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 5, what="the json log")
    with open(path) as f:
        assert '"log":"to the file\\n"' in f.read()


def test_inspect_by_name_by_id_prefix_and_unknown(ph, client):
    container = client.containers.create("busybox", ["true"], name="findme")
    for ref in ("findme", container.id, container.id[:5]):
        assert client.api.inspect_container(ref)["Id"] == container.id
    result = ph.docker("inspect", "nosuchthing")
    assert result.returncode == 1
    assert b"No such" in result.stderr
