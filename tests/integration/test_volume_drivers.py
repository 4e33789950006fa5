"""Volumes that are mounts: the local driver's mount options (tmpfs, bind, nfs) mounted at a container's first use
and unmounted after the last, and volume plugins over Docker's plugin protocol (a plugin written in the tests
from the specification: tests/support/volume_plugin.py), through the docker CLI."""

import os
import secrets
from pathlib import Path

import pytest

from tests.support.cli import porthole
from tests.support.volume_plugin import start_plugin
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.root, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]


def ok(done) -> str:
    assert done.returncode == 0, done.stderr.decode() + done.stdout.decode()
    return done.stdout.decode()


def mountpoint(ph, volume: str) -> Path:
    return Path(ok(ph.docker("volume", "inspect", "-f", "{{.Mountpoint}}", volume)).strip())


def fstype(path: Path) -> str | None:
    """The filesystem mounted at path in this (the daemon's) mount namespace, if any."""
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == str(path):
            return fields[fields.index("-") + 1]
    return None


def test_a_tmpfs_volume_is_mounted_while_containers_use_it(ph):
    ok(ph.docker("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=8m", "scratch"))
    where = mountpoint(ph, "scratch")
    assert fstype(where) is None  # nothing mounted before a container uses it
    ok(ph.docker("run", "-d", "--name", "w1", "-v", "scratch:/s", "busybox", "sh", "-c", "echo hi > /s/f; sleep 600"))
    ok(ph.docker("run", "-d", "--name", "w2", "-v", "scratch:/s", "busybox", "sleep", "600"))
    wait_for(lambda: (where / "f").exists(), 10, what="w1's file in the volume")
    assert fstype(where) == "tmpfs"
    assert ok(ph.docker("exec", "w2", "cat", "/s/f")).strip() == "hi"  # one mount, both containers
    assert "size=8192k" in ok(ph.docker("exec", "w2", "grep", " /s ", "/proc/mounts"))
    ok(ph.docker("rm", "-f", "w1"))
    assert fstype(where) == "tmpfs"  # w2 still uses it
    ok(ph.docker("rm", "-f", "w2"))
    assert fstype(where) is None  # unmounted after the last
    assert ok(ph.docker("run", "--rm", "-v", "scratch:/s", "busybox", "ls", "/s")).strip() == ""  # a fresh tmpfs


def test_a_bind_volume_shows_a_host_directory(ph, tmp_path):
    source = tmp_path / "shared"
    source.mkdir()
    ok(ph.docker("volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", f"device={source}", "data"))
    ok(ph.docker("run", "--rm", "-v", "data:/d", "busybox", "sh", "-c", "echo from-container > /d/out"))
    assert (source / "out").read_text() == "from-container\n"
    assert fstype(mountpoint(ph, "data")) is None


def test_an_nfs_volume_fails_clearly_where_the_kernel_has_no_nfs(ph):
    ok(
        ph.docker(
            "volume",
            "create",
            "--opt",
            "type=nfs",
            "--opt",
            "o=addr=127.0.0.1,rw",
            "--opt",
            "device=:/export",
            "nfsvol",
        )
    )
    if "nfs" in Path("/proc/filesystems").read_text():
        pytest.skip("this kernel has NFS: no server here to mount from (nfs-kernel-server not set up)")
    done = ph.docker("run", "--rm", "-v", "nfsvol:/n", "busybox", "true")
    assert done.returncode != 0
    assert b"local volume nfsvol: mount nfs :/export on" in done.stderr and b"No such device" in done.stderr
    assert fstype(mountpoint(ph, "nfsvol")) is None


def test_bad_mount_options_are_refused_at_create(ph):
    done = ph.docker("volume", "create", "--opt", "type=nfs", "broken")
    assert done.returncode != 0 and b'missing required option: "device"' in done.stderr
    done = ph.docker("volume", "create", "--opt", "type=none", "--opt", "device=/srv", "broken")
    assert done.returncode != 0 and b'type "none" needs o=bind' in done.stderr
    assert b"broken" not in ph.docker("volume", "ls", "-q").stdout


@pytest.fixture
def plugin(ph, tmp_path):
    running = start_plugin(f"phtest{secrets.token_hex(3)}", tmp_path / "plugin-data")
    yield running
    try:
        ph.remove_everything()  # while the plugin still answers its Remove calls
    finally:
        running.stop()


def test_a_plugin_makes_mounts_and_removes_volumes(ph, plugin):
    name = plugin.name
    ok(ph.docker("volume", "create", "-d", name, "-o", "size=1g", "pv1"))
    assert plugin.state.called("VolumeDriver.Create") == [{"Name": "pv1", "Opts": {"size": "1g"}}]
    listed = ok(ph.docker("volume", "ls", "--format", "{{.Driver}} {{.Name}}")).split("\n")
    assert f"{name} pv1" in listed
    cid = ok(ph.docker("run", "-d", "-v", "pv1:/data", "busybox", "sh", "-c", "echo kept > /data/f; sleep 600")).strip()
    wait_for(lambda: (plugin.state.path("pv1") / "f").exists(), 10, what="the file in the plugin's volume")
    assert plugin.state.called("VolumeDriver.Mount") == [{"Name": "pv1", "ID": cid}]
    assert ok(ph.docker("volume", "inspect", "-f", "{{.Mountpoint}} {{.Scope}}", "pv1")).split() == [
        str(plugin.state.path("pv1")),
        "global",
    ]
    ok(ph.docker("rm", "-f", cid))
    assert plugin.state.called("VolumeDriver.Unmount") == [{"Name": "pv1", "ID": cid}]
    ok(ph.docker("volume", "rm", "pv1"))
    assert plugin.state.called("VolumeDriver.Remove") == [{"Name": "pv1"}]
    assert len(plugin.state.called("Plugin.Activate")) == 1


def test_volume_driver_and_mount_volume_driver_create_through_the_plugin(ph, plugin):
    ok(ph.docker("run", "--rm", "--volume-driver", plugin.name, "-v", "pv2:/d", "busybox", "touch", "/d/a"))
    ok(
        ph.docker(
            "run",
            "--rm",
            "--mount",
            f"type=volume,source=pv3,target=/d,volume-driver={plugin.name}",
            "busybox",
            "touch",
            "/d/b",
        )
    )
    assert (plugin.state.path("pv2") / "a").exists() and (plugin.state.path("pv3") / "b").exists()
    drivers = ok(ph.docker("volume", "ls", "--format", "{{.Name}} {{.Driver}}")).split("\n")
    assert f"pv2 {plugin.name}" in drivers and f"pv3 {plugin.name}" in drivers


def test_a_plugin_behind_a_spec_file(ph, tmp_path):
    running = start_plugin(
        f"phspec{secrets.token_hex(3)}", tmp_path / "spec-data", spec_dir=Path("/etc/docker/plugins")
    )
    try:
        ok(ph.docker("run", "--rm", "--volume-driver", running.name, "-v", "pv4:/d", "busybox", "touch", "/d/c"))
        assert (running.state.path("pv4") / "c").exists()
        ok(ph.docker("volume", "rm", "pv4"))
    finally:
        running.stop()


def test_a_volume_of_a_plugin_gone_is_removed_with_force_only(ph, tmp_path):
    gone = start_plugin(f"phgone{secrets.token_hex(3)}", tmp_path / "gone-data")
    ok(ph.docker("volume", "create", "-d", gone.name, "orphan"))
    gone.stop()
    done = ph.docker("volume", "rm", "orphan")
    assert (
        done.returncode != 0 and f"volume plugin {gone.name}: VolumeDriver.Remove: cannot reach".encode() in done.stderr
    )
    ok(ph.docker("volume", "rm", "-f", "orphan"))
    assert b"orphan" not in ph.docker("volume", "ls", "-q").stdout


def test_an_absent_or_failing_plugin_is_named(ph, plugin):
    done = ph.docker("volume", "create", "-d", "phnosuchplugin", "x1")
    assert done.returncode != 0
    assert b'create x1: error looking up volume plugin phnosuchplugin: plugin "phnosuchplugin" not found' in done.stderr
    plugin.state.fail["VolumeDriver.Mount"] = "the disk is attached elsewhere"
    ok(ph.docker("volume", "create", "-d", plugin.name, "pv5"))
    done = ph.docker("run", "--rm", "-v", "pv5:/d", "busybox", "true")
    assert done.returncode != 0
    assert f"volume plugin {plugin.name}: VolumeDriver.Mount: the disk is attached elsewhere".encode() in done.stderr


def test_the_porthole_cli_takes_volume_driver_and_aux_address(ph, plugin):
    done = porthole(ph, "run", "--rm", "--volume-driver", plugin.name, "-v", "pv6:/d", "busybox", "touch", "/d/e")
    assert done.returncode == 0, done.stderr
    assert (plugin.state.path("pv6") / "e").exists()
    done = porthole(ph, "network", "create", "--subnet", "10.66.0.0/29", "--aux-address", "router=10.66.0.2", "aux")
    assert done.returncode == 0, done.stderr
    shown = ok(ph.docker("network", "inspect", "-f", "{{json .IPAM.Config}}", "aux"))
    assert '"AuxiliaryAddresses":{"router":"10.66.0.2"}' in shown
    ok(ph.docker("run", "-d", "--name", "first", "--network", "aux", "busybox", "sleep", "600"))
    assert ok(ph.docker("inspect", "-f", "{{.NetworkSettings.Networks.aux.IPAddress}}", "first")).strip() == "10.66.0.3"
