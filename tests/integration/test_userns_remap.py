"""`porthole daemon --userns-remap`: containers run in a user namespace whose root is the remap user's first
subordinate id on the host, with the image's layers idmapped so that root's files are the container's root's.
The module makes its own remap user and its ranges, and takes them away after (nothing left in /etc)."""

import io
import os
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.security.userns import resolve_remap
from tests.support.daemon import TestDaemon, running
from tests.support.userns import COUNT, FIRST, account_backups_kept
from tests.support.userns import remap_user as made_remap_user
from tests.support.waiting import wait_for

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def remap_user() -> Iterator[str]:
    with made_remap_user() as name:
        yield name


@pytest.fixture(scope="module")
def remapped(tmp_path_factory, busybox_rootfs, remap_user) -> Iterator[TestDaemon]:
    daemon = TestDaemon(tmp_path_factory.mktemp("porthole"), extra_args=("--userns-remap", remap_user))
    with running(daemon, busybox_rootfs) as d:
        yield d


@pytest.fixture
def rp(remapped) -> Iterator[TestDaemon]:
    yield remapped
    remapped.remove_everything()


def _run(daemon: TestDaemon, *args: str) -> str:
    result = daemon.docker("run", "--rm", *args)
    assert result.returncode == 0, result.stderr.decode() + daemon.log_tail()
    return result.stdout.decode()


def test_the_container_sees_its_user_namespace_and_is_root_in_it(rp):
    out = _run(rp, "busybox", "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g")
    lines = [line.split() for line in out.splitlines()]
    assert lines[:2] == [["0", str(FIRST), str(COUNT)]] * 2
    assert lines[2:] == [["0"], ["0"]]


def test_the_containers_root_is_the_mapped_uid_on_the_host(rp):
    rp.docker("run", "-d", "--name", "sleeper", "busybox", "sleep", "600", check=True)
    pid = rp.client().api.inspect_container("sleeper")["State"]["Pid"]
    status = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    assert status["Uid"].split()[0] == str(FIRST)
    assert status["Gid"].split()[0] == str(FIRST)


def test_the_image_is_roots_inside_and_writable(rp):
    out = _run(rp, "busybox", "sh", "-c", "stat -c '%u %g' /bin/sh /etc; echo hi > /etc/new && cat /etc/new")
    assert out.splitlines() == ["0 0", "0 0", "hi"]


def test_the_data_root_is_per_mapping_and_info_shows_userns(rp):
    info = rp.client().info()
    assert "name=userns" in info["SecurityOptions"]
    assert info["DockerRootDir"] == str(rp.data_root / f"{FIRST}.{FIRST}")


def test_exec_joins_the_user_namespace(rp):
    rp.docker("run", "-d", "--name", "execd", "busybox", "sleep", "600", check=True)
    result = rp.docker("exec", "execd", "sh", "-c", "cat /proc/self/uid_map; id -u; touch /made-by-exec")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split() == ["0", str(FIRST), str(COUNT), "0"]
    assert rp.docker("exec", "execd", "stat", "-c", "%u", "/made-by-exec").stdout == b"0\n"


def test_files_made_in_a_bind_mount_are_the_mapped_uids_and_host_files_stay_out_of_reach(rp, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chown(shared, FIRST, FIRST)
    secret = tmp_path / "secret"
    secret.write_text("root's\n")
    secret.chmod(0o600)
    out = _run(
        rp,
        "-v", f"{shared}:/shared",
        "-v", f"{secret}:/secret",
        "busybox", "sh", "-c", "touch /shared/made; cat /secret || echo refused; echo x >> /secret || echo refused",
    )  # fmt: skip
    assert out.split() == ["refused", "refused"]
    made = (shared / "made").stat()
    assert (made.st_uid, made.st_gid) == (FIRST, FIRST)
    assert secret.read_text() == "root's\n"


def test_userns_host_opts_out_and_may_then_be_privileged(rp):
    out = _run(rp, "--userns=host", "--privileged", "busybox", "cat", "/proc/self/uid_map")
    assert out.split() == ["0", "0", "4294967295"]


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("--privileged", "privileged mode is incompatible with user namespaces."),
        ("--net=host", "cannot share the host's network namespace when user namespaces are enabled"),
        ("--pid=host", "cannot share the host PID namespace when user namespaces are enabled"),
    ],
)
def test_what_needs_the_hosts_user_namespace_is_refused_as_docker_refuses_it(rp, flag, message):
    result = rp.docker("run", "--rm", flag, "busybox", "true")
    assert result.returncode == 125
    assert message in result.stderr.decode()


def test_a_remapped_container_has_its_network_logs_and_stops(rp):
    rp.docker(
        "run", "-d", "--name", "netted", "busybox", "sh", "-c", "ip -o -4 addr show eth0; exec sleep 600", check=True
    )
    wait_for(lambda: b"inet" in rp.docker("logs", "netted").stdout, 20, what="the container's address in its logs")
    started = time.monotonic()
    rp.docker("stop", "-t", "1", "netted", check=True)
    assert time.monotonic() - started < 10
    assert rp.client().api.inspect_container("netted")["State"]["Status"] == "exited"
    rp.docker("rm", "netted", check=True)


def test_default_makes_the_remap_user_and_a_free_range_in_each_file(tmp_path):
    """dockerd's `default` (its user, dockremap, is made here under a test name; the files are the test's)."""
    name = f"phud{os.getpid() % 100000}"
    subuid, subgid = tmp_path / "subuid", tmp_path / "subgid"
    subuid.write_text("someone:100000:65536\n")
    with account_backups_kept():
        try:
            mapping = resolve_remap("default", default_user=name, subuid=subuid, subgid=subgid)
            assert (mapping.user, mapping.group) == (name, name)
            assert mapping.root == (165536, 100000)
            assert subuid.read_text().splitlines()[-1] == f"{name}:165536:65536"
            assert resolve_remap("default", default_user=name, subuid=subuid, subgid=subgid) == mapping  # made once
        finally:
            subprocess.run(["userdel", name], check=False)


def test_a_named_volume_is_the_containers_roots_with_the_images_content_shifted(rp):
    out = _run(
        rp,
        "-v",
        "etcvol:/etc",
        "busybox",
        "sh",
        "-c",
        "stat -c '%u' /etc/passwd; echo more >> /etc/passwd; touch /etc/x",
    )
    assert out == "0\n"
    data = Path(rp.client().volumes.get("etcvol").attrs["Mountpoint"])
    assert data.stat().st_uid == FIRST
    assert (data / "passwd").stat().st_uid == FIRST
    assert (data / "x").stat().st_uid == FIRST


def test_commit_keeps_the_owners_the_container_saw(rp):
    rp.docker("run", "--name", "maker", "busybox", "sh", "-c", "touch /made; chown 12:34 /etc/passwd", check=True)
    rp.docker("commit", "maker", "made:1", check=True)
    out = _run(rp, "--userns=host", "made:1", "stat", "-c", "%u %g", "/made", "/etc/passwd")
    assert out.splitlines() == ["0 0", "12 34"]


def test_binds_are_mounted_in_order_even_under_dev_and_read_only_stays(rp, tmp_path):
    shared = tmp_path / "dev-bound"
    shared.mkdir()
    (shared / "seen").write_text("yes\n")
    shared.chmod(0o755)
    out = _run(
        rp,
        "-v", f"{shared}:/dev/bound:ro",
        "busybox", "sh", "-c", "cat /dev/bound/seen; touch /dev/bound/x 2>/dev/null || echo read-only",
    )  # fmt: skip
    assert out.split() == ["yes", "read-only"]


def test_limits_health_probes_and_a_terminal_work_remapped(rp):
    rp.docker(
        "run", "-d", "--name", "checked", "--memory", "64m", "--health-cmd", "id -u | grep -qx 0",
        "--health-interval", "1s", "busybox", "sleep", "600",
        check=True,
    )  # fmt: skip
    client = rp.client()
    wait_for(
        lambda: client.api.inspect_container("checked")["State"]["Health"]["Status"] == "healthy",
        30,
        what="a healthy probe run in the container's user namespace",
    )
    pid = client.api.inspect_container("checked")["State"]["Pid"]
    groups = dict(line.split(":", 2)[1:] for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines())
    limit = Path("/sys/fs/cgroup/memory", groups["memory"].lstrip("/"), "memory.limit_in_bytes")
    assert limit.read_text() == f"{64 << 20}\n"
    # its own group shows at /sys/fs/cgroup (not the host's hierarchies of the host's /sys it gets), as in Docker
    inside = rp.docker("exec", "checked", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
    assert inside.stdout == f"{64 << 20}\n".encode(), inside.stderr.decode()
    tty = rp.docker("run", "--rm", "-t", "busybox", "sh", "-c", "tty; id -u")
    assert tty.returncode == 0, tty.stderr.decode()
    assert tty.stdout.decode().split() == ["/dev/pts/0", "0"]


def test_a_restarted_daemon_finds_its_remapped_containers_and_execs_into_them(rp):
    rp.docker("run", "-d", "--name", "survivor", "busybox", "sleep", "600", check=True)
    rp.kill()
    rp.start()
    result = rp.docker("exec", "survivor", "cat", "/proc/self/uid_map")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split() == ["0", str(FIRST), str(COUNT)]


def test_read_only_and_tmpfs_work_remapped(rp):
    out = _run(rp, "--read-only", "--tmpfs", "/scratch", "busybox", "sh", "-c",
               "touch /x 2>/dev/null || echo refused; touch /scratch/y && stat -c %u /scratch/y")  # fmt: skip
    assert out.split() == ["refused", "0"]


def test_a_device_is_bound_from_the_host_in_a_remapped_container(rp):
    out = _run(rp, "--device", "/dev/zero:/dev/myzero", "busybox", "sh", "-c", "head -c 5 /dev/myzero | wc -c")
    assert out.strip() == "5"


@pytest.mark.parametrize("network", ["bridge", "none"])
def test_the_containers_root_may_edit_its_etc_files(rp, network):
    script = "echo 10.9.9.9 extra >> /etc/hosts && grep -c extra /etc/hosts"
    assert _run(rp, "--network", network, "busybox", "sh", "-c", script) == "1\n"


def _owners(chunks) -> dict[str, tuple[int, int]]:
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        return {m.name: (m.uid, m.gid) for m in tar.getmembers()}


MADE = "touch /made; chown 12:34 /etc/passwd; mkdir /tmp/d"
RUNNING_OR_STOPPED = pytest.mark.parametrize("running", [True, False], ids=["running", "stopped"])


def _container(rp, name: str, command: str, running: bool) -> None:
    """A container that ran `command`, then sleeps on or has exited."""
    rp.docker("run", "-d", "--name", name, "busybox", "sh", "-c", f"{command}; echo done; sleep 600", check=True)
    wait_for(lambda: b"done" in rp.docker("logs", name).stdout, 20, what="the container's command done")
    if not running:
        rp.docker("stop", "-t", "0", name, check=True)


@RUNNING_OR_STOPPED
def test_cp_out_shows_the_owners_the_container_sees(rp, running):
    _container(rp, "seen", MADE, running)
    copied = _owners(rp.client().api.get_archive("seen", "/etc")[0])
    assert copied["etc/passwd"] == (12, 34)
    assert copied["etc/group"] == (0, 0)  # the image's, through the idmapped layers


def test_export_shows_the_owners_the_container_sees(rp):
    _container(rp, "seen", MADE, False)
    exported = _owners(rp.client().api.export("seen"))
    assert (exported["made"], exported["etc/passwd"], exported["bin/sh"]) == ((0, 0), (12, 34), (0, 0))


@RUNNING_OR_STOPPED
def test_cp_in_gives_the_archives_owners_inside_shifted_on_the_host(rp, running):
    _container(rp, "filled", "true", running)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        member = tarfile.TarInfo("given")
        member.uid, member.gid, member.size = 5, 6, 3
        tar.addfile(member, io.BytesIO(b"hi\n"))
    assert rp.client().api.put_archive("filled", "/tmp", buffer.getvalue())
    copied = _owners(rp.client().api.get_archive("filled", "/tmp/given")[0])
    assert copied["given"] == (5, 6)
    container_id = rp.client().api.inspect_container("filled")["Id"]
    host = (rp.data_root / f"{FIRST}.{FIRST}" / "containers" / container_id / "fs/upper/tmp/given").stat()
    assert (host.st_uid, host.st_gid) == (FIRST + 5, FIRST + 6)


def test_diff_of_a_remapped_container_is_what_it_changed(rp):
    rp.docker("run", "--name", "differ", "busybox", "sh", "-c", MADE, check=True)
    changes = {(c["Path"], c["Kind"]) for c in rp.client().api.diff("differ")}
    assert changes == {("/made", 1), ("/etc", 0), ("/etc/passwd", 0), ("/tmp", 0), ("/tmp/d", 1)}
    rp.docker("run", "--name", "idle", "busybox", "true", check=True)
    assert rp.client().api.diff("idle") in ([], None)


def test_export_of_a_running_container_is_its_files_with_the_owners_it_sees(rp):
    _container(rp, "seen", MADE, True)
    exported = _owners(rp.client().api.export("seen"))
    assert (exported["made"], exported["etc/passwd"], exported["bin/sh"]) == ((0, 0), (12, 34), (0, 0))
    assert "proc/self" not in exported and "proc" in exported


def test_cp_of_a_running_containers_root_leaves_out_what_the_runtime_mounted(rp):
    _container(rp, "seen", MADE, True)
    copied = _owners(rp.client().api.get_archive("seen", "/")[0])
    names = {name.strip("/") for name in copied}
    assert {"proc", "sys", "dev", "made"} <= names
    assert not {name for name in names if name.startswith(("proc/", "sys/", "dev/"))}
    assert copied["/made"] == (0, 0)


def test_a_remapped_container_joins_anothers_ipc_and_pid_namespaces(rp):
    rp.docker("run", "-d", "--name", "donor", "--ipc", "shareable", "busybox", "sleep", "600", check=True)
    donor_pid = rp.client().api.inspect_container("donor")["State"]["Pid"]
    donor = {kind: os.readlink(f"/proc/{donor_pid}/ns/{kind}") for kind in ("ipc", "pid", "user")}
    out = _run(rp, "--ipc", "container:donor", "--pid", "container:donor", "busybox", "sh", "-c",
               "readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid; readlink /proc/self/ns/user; "
               "tr '\\0' ' ' < /proc/1/cmdline; echo; id -u")  # fmt: skip
    ipc, pid, user, init, uid = out.splitlines()
    assert (ipc, pid, user) == (donor["ipc"], donor["pid"], donor["user"])  # its user namespace too, as dockerd
    assert init.split() == ["sleep", "600"]  # the donor's process is pid 1 of the namespace joined
    assert uid == "0"
