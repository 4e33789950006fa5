"""What a container sees of the host: its own namespaces, hostname, capabilities, masked and read-only paths,
/dev, no host file descriptors, and no mount that reaches the host."""

import io
import json
import os
import stat
import tarfile

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root

NAMESPACES = ("uts", "ipc", "pid", "net", "mnt")


def _sh(ph, script: str, *flags: str) -> str:
    result = ph.docker("run", "--rm", *flags, "busybox", "sh", "-c", script)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


@pytest.fixture
def sleeper(ph, client):
    container = client.containers.run("busybox", ["sleep", "120"], detach=True)
    container.reload()
    return container


def test_every_namespace_differs_from_the_hosts(ph):
    script = "; ".join(f"readlink /proc/self/ns/{ns}" for ns in NAMESPACES)
    inside = _sh(ph, script).split()
    host = [os.readlink(f"/proc/self/ns/{ns}") for ns in NAMESPACES]
    assert len(inside) == len(NAMESPACES)
    for ns, mine, theirs in zip(NAMESPACES, inside, host, strict=True):
        assert mine.startswith(f"{ns}:[")
        assert mine != theirs, ns


def test_two_containers_do_not_share_namespaces(ph, client):
    a = client.containers.run("busybox", ["sleep", "60"], detach=True)
    b = client.containers.run("busybox", ["sleep", "60"], detach=True)
    pid_a = client.api.inspect_container(a.id)["State"]["Pid"]
    pid_b = client.api.inspect_container(b.id)["State"]["Pid"]
    for ns in NAMESPACES:
        assert os.readlink(f"/proc/{pid_a}/ns/{ns}") != os.readlink(f"/proc/{pid_b}/ns/{ns}"), ns


def test_the_command_is_pid_1_and_sees_only_its_own_processes(ph):
    out = _sh(ph, "echo $$; ps -o pid,comm; true")  # `true`: sh would exec a last command
    lines = out.splitlines()
    assert lines[0] == "1"
    assert sorted(line.split()[1] for line in lines[2:]) == ["ps", "sh"]


def test_network_namespace_has_only_lo_and_eth0(ph):
    out = _sh(ph, "cat /proc/net/dev")
    interfaces = sorted(line.split(":")[0].strip() for line in out.splitlines()[2:])
    assert interfaces == ["eth0", "lo"]


def test_hostname_is_the_short_id_by_default(ph, client):
    container = client.containers.run("busybox", ["sh", "-c", "hostname; cat /etc/hostname"], detach=True)
    container.wait(timeout=10)
    short = container.id[:12].encode()
    assert container.logs() == short + b"\n" + short + b"\n"


def test_capabilities_are_dockers_default_set(ph):
    out = _sh(ph, "grep Cap /proc/self/status")
    caps = dict(line.split(":\t") for line in out.splitlines())
    assert caps["CapEff"] == "00000000a80425fb"
    assert caps["CapPrm"] == "00000000a80425fb"
    assert caps["CapBnd"] == "00000000a80425fb"
    assert caps["CapInh"] == "0000000000000000"
    assert caps["CapAmb"] == "0000000000000000"


def test_a_non_root_user_has_no_effective_capabilities(ph):
    out = _sh(ph, "grep CapEff /proc/self/status", "-u", "1000")
    assert out.split() == ["CapEff:", "0000000000000000"]


def test_privileged_operations_outside_the_set_are_refused(ph):
    # CAP_SYS_ADMIN (mount) and CAP_NET_ADMIN (links) are not in Docker's set
    result = ph.docker("run", "--rm", "busybox", "mount", "-t", "tmpfs", "x", "/tmp")
    assert result.returncode != 0
    assert b"permission denied" in result.stderr.lower()
    result = ph.docker("run", "--rm", "busybox", "ip", "link", "set", "lo", "down")
    assert result.returncode != 0


@pytest.mark.parametrize("path", ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"])
def test_masked_files_read_empty(ph, path):
    out = _sh(ph, f"if [ -e {path} ]; then wc -c < {path}; else echo absent; fi")
    assert out.strip() in ("0", "absent")


def test_masked_directories_are_empty(ph):
    out = _sh(ph, "for d in /sys/firmware /proc/acpi /proc/scsi; do [ -d $d ] && ls -A $d; done; echo end")
    assert out == "end\n"


@pytest.mark.parametrize("path", ["/proc/sys/kernel/hostname", "/proc/sysrq-trigger", "/proc/sys/vm/drop_caches"])
def test_read_only_paths_refuse_writes(ph, path):
    if not os.path.exists(path):
        pytest.skip(f"{path} is not in this kernel")
    result = ph.docker("run", "--rm", "busybox", "sh", "-c", f"echo 1 > {path}")
    assert result.returncode != 0
    assert b"Read-only file system" in result.stderr


def test_sys_is_read_only(ph):
    result = ph.docker("run", "--rm", "busybox", "sh", "-c", "echo 1 > /sys/kernel/profiling")
    assert result.returncode != 0
    assert b"Read-only file system" in result.stderr


def test_dev_has_the_standard_nodes_and_links(ph):
    out = _sh(
        ph,
        "ls -A /dev; stat -c '%n %F %t:%T %a' /dev/null /dev/zero /dev/full /dev/random /dev/urandom "
        "/dev/tty; for l in fd stdin stdout stderr ptmx core; do echo $l $(readlink /dev/$l); done",
    )
    lines = out.splitlines()
    listing = sorted(lines[: lines.index("/dev/null character special file 1:3 666")])
    assert listing == sorted(
        [
            "core",
            "fd",
            "full",
            "mqueue",
            "null",
            "ptmx",
            "pts",
            "random",
            "shm",
            "stderr",
            "stdin",
            "stdout",
            "tty",
            "urandom",
            "zero",
        ]
    )
    assert "/dev/zero character special file 1:5 666" in lines
    assert "/dev/full character special file 1:7 666" in lines
    assert "/dev/random character special file 1:8 666" in lines
    assert "/dev/urandom character special file 1:9 666" in lines
    assert "/dev/tty character special file 5:0 666" in lines
    assert "fd /proc/self/fd" in lines
    assert "stdin /proc/self/fd/0" in lines
    assert "ptmx pts/ptmx" in lines


def test_dev_pts_shm_and_mqueue_are_mounted(ph):
    mounts = {line.split()[1]: line.split() for line in _sh(ph, "cat /proc/mounts").splitlines()}
    assert mounts["/"][2] == "overlay"
    assert mounts["/dev"][2] == "tmpfs"
    assert mounts["/dev/pts"][2] == "devpts"
    assert mounts["/dev/shm"][2] == "tmpfs"
    assert mounts["/dev/mqueue"][2] == "mqueue"
    assert mounts["/proc"][2] == "proc"
    assert mounts["/sys"][2] == "sysfs" and mounts["/sys"][3].startswith("ro,")


def test_dev_shm_is_writable_and_sized_like_dockers(ph):
    out = _sh(ph, "echo hi > /dev/shm/x && cat /dev/shm/x; df -k /dev/shm | tail -1")
    lines = out.splitlines()
    assert lines[0] == "hi"
    assert lines[1].split()[1] == "65536"


def test_pid_1_has_only_stdio_open(ph, client, sleeper):
    pid = client.api.inspect_container(sleeper.id)["State"]["Pid"]
    assert sorted(os.listdir(f"/proc/{pid}/fd")) == ["0", "1", "2"]
    out = _sh(ph, "ls /proc/1/fd; true")  # PID 1 is the shell, not ls
    assert out.split() == ["0", "1", "2"]


def test_stdio_of_the_container_is_no_host_file(ph, client, sleeper):
    pid = client.api.inspect_container(sleeper.id)["State"]["Pid"]
    targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in (0, 1, 2)]
    assert targets[0] == "/dev/null"  # the container's own /dev/null
    assert all(t.startswith("pipe:") for t in targets[1:])


def test_exec_processes_have_only_stdio_open(ph, sleeper):
    ph.docker("exec", "-d", sleeper.id, "sleep", "61", check=True)

    def exec_pid() -> int | None:
        top = sleeper.top()
        rows = [p for p in top["Processes"] if p[top["Titles"].index("CMD")] == "sleep 61"]
        return int(rows[0][top["Titles"].index("PID")]) if rows else None

    pid = wait_for(exec_pid, 5, what="the exec'd process")
    assert sorted(os.listdir(f"/proc/{pid}/fd")) == ["0", "1", "2"]


def test_container_and_exec_processes_start_with_no_signal_ignored_or_blocked(ph, sleeper):
    """The daemon is a Python process (SIGPIPE and SIGXFSZ ignored), maybe started under nohup (SIGHUP too):
    none of that may reach a container, whose `yes | head` must die of SIGPIPE as on any host."""
    masks = ("grep", "-E", "^Sig(Ign|Blk):", "/proc/self/status")  # no shell between: ash ignores SIGQUIT
    expected = b"SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"
    assert ph.docker("run", "--rm", "busybox", *masks, check=True).stdout == expected
    assert ph.docker("exec", sleeper.id, *masks, check=True).stdout == expected
    assert _sh(ph, "yes | head -n 1; echo done") == "y\ndone\n"


def test_no_container_mount_appears_on_the_host(ph, client, sleeper, tmp_path):
    bound = client.containers.run("busybox", ["sleep", "60"], detach=True, volumes=[f"{tmp_path}:/data", "/anon"])
    with open("/proc/self/mountinfo") as f:
        # the network namespace files (nsfs) are bound on the host on purpose, as Docker's are
        host_mounts = "".join(line for line in f if " - nsfs " not in line)
    for container in (sleeper, bound):
        assert container.id not in host_mounts
        merged = client.api.inspect_container(container.id)["GraphDriver"]["Data"]["MergedDir"]
        assert merged not in host_mounts
    assert str(ph.root) not in host_mounts


def test_the_root_filesystem_is_the_containers_own(ph):
    _sh(ph, "echo changed > /bin/marker")
    assert _sh(ph, "ls /bin/marker 2>&1 || true").strip().endswith("No such file or directory")


def test_device_cgroup_refuses_a_host_block_device_made_with_mknod(ph):
    root_dev = os.stat("/").st_dev
    major, minor = os.major(root_dev), os.minor(root_dev)
    if not any(
        stat.S_ISBLK(os.stat(f"/dev/{d}").st_mode) and os.stat(f"/dev/{d}").st_rdev == root_dev
        for d in os.listdir("/dev")
        if os.path.exists(f"/dev/{d}") and not os.path.islink(f"/dev/{d}")
    ):
        pytest.skip("the host root is not on a block device")
    result = ph.docker(
        "run", "--rm", "busybox", "sh", "-c", f"mknod /tmp/disk b {major} {minor} && head -c 512 /tmp/disk > /dev/null"
    )
    assert result.returncode != 0
    assert b"Operation not permitted" in result.stderr


def test_allowed_devices_work(ph):
    out = _sh(ph, "head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c; echo x > /dev/null && echo ok")
    assert out.split() == ["4", "4", "ok"]


def test_no_new_privileges_is_off_as_in_docker(ph):
    assert _sh(ph, "grep NoNewPrivs /proc/self/status").split() == ["NoNewPrivs:", "0"]


def test_a_container_cannot_see_host_processes(ph, client):
    out = _sh(ph, "ls /proc | grep -c '^[0-9]'")
    assert int(out) <= 3  # sh, grep, ls


def test_sleeping_container_keeps_no_mount_after_removal(ph, client, sleeper):
    merged = client.api.inspect_container(sleeper.id)["GraphDriver"]["Data"]["MergedDir"]
    sleeper.remove(force=True)
    wait_for(lambda: not os.path.exists(merged), 5, what="the rootfs dir to go")
    with open("/proc/self/mountinfo") as f:
        assert sleeper.id not in f.read()  # not even its network namespace file


def test_root_is_an_overlay_of_the_image_layers_with_a_per_container_upper(ph, client):
    container = client.containers.run("busybox", ["sh", "-c", "echo mine > /written; sleep 60"], detach=True)
    data = client.api.inspect_container(container.id)["GraphDriver"]["Data"]
    layers = client.api.inspect_image("busybox")["RootFS"]["Layers"]
    assert len(data["LowerDir"].split(":")) == len(layers)
    assert all(os.path.isdir(d) for d in data["LowerDir"].split(":"))
    assert data["UpperDir"].startswith(str(ph.data_root / "containers" / container.id))
    wait_for(lambda: os.path.exists(os.path.join(data["UpperDir"], "written")), 5, what="the write in the upper")
    assert open(os.path.join(data["UpperDir"], "written")).read() == "mine\n"
    assert not any(os.path.exists(os.path.join(d, "written")) for d in data["LowerDir"].split(":"))
    pid = client.api.inspect_container(container.id)["State"]["Pid"]
    with open(f"/proc/{pid}/mountinfo") as f:
        root = next(line.split() for line in f if line.split()[4] == "/")
    assert root[root.index("-") + 1] == "overlay"


def test_pivot_root_leaves_no_host_mount_in_sight(ph, client, tmp_path):
    out = _sh(ph, "cat /proc/self/mountinfo", "-v", f"{tmp_path}:/bound")
    targets = [line.split()[4] for line in out.splitlines()]
    assert "/bound" in targets
    for target in targets:  # only the container's own mounts: none of the host's paths
        assert not target.startswith(("/work", "/tmp/pytest", "/home", "/boot", "/run/")), target
    assert str(tmp_path) not in targets


# a script in the tmpfs, then run: noexec refuses it
RUN_FROM_T = "cat /proc/mounts; printf '#!/bin/sh\\necho ran\\n' > /t/x; chmod +x /t/x; /t/x || echo refused"


def _mount_options(out: str, target: str) -> list[str]:
    return next(line.split()[3].split(",") for line in out.splitlines() if line.split()[1] == target)


def test_a_mount_flag_tmpfs_has_dockers_default_options(ph):
    out = _sh(ph, RUN_FROM_T, "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m")
    assert _mount_options(out, "/t") == ["rw", "nosuid", "nodev", "noexec", "relatime", "size=1024k"]
    assert out.splitlines()[-1] == "refused"


def test_a_read_only_mount_flag_tmpfs_keeps_the_defaults(ph):
    out = _sh(ph, "cat /proc/mounts", "--mount", "type=tmpfs,dst=/t,readonly")
    assert _mount_options(out, "/t") == ["ro", "nosuid", "nodev", "noexec", "relatime"]


def test_a_mount_tmpfs_asked_for_exec_gets_it(client):
    mount = {"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"Options": [["exec"]]}}
    out = client.containers.run("busybox", ["sh", "-c", RUN_FROM_T], remove=True, mounts=[mount]).decode()
    assert _mount_options(out, "/t") == ["rw", "nosuid", "nodev", "relatime"]
    assert out.splitlines()[-1] == "ran"


def test_dockers_init_layer_entries_are_in_every_container(ph):
    out = _sh(ph, "stat -c '%A %s' /.dockerenv; readlink /etc/mtab; grep -c ' /proc proc ' /etc/mtab")
    assert out.splitlines() == ["-rwxr-xr-x 0", "/proc/mounts", "1"]


def test_the_init_layer_is_no_change_of_the_container(ph, client):
    """As Docker's: neither `docker diff` nor a commit's layer holds it."""
    ph.docker("run", "--name", "plain", "busybox", "true", check=True)
    result = ph.docker("diff", "plain")
    assert (result.returncode, result.stdout) == (0, b"")
    image = client.containers.get("plain").commit()
    try:
        with tarfile.open(fileobj=io.BytesIO(b"".join(image.save()))) as saved:
            manifest = json.load(saved.extractfile("manifest.json"))
            top = manifest[0]["Layers"][-1]
            with tarfile.open(fileobj=saved.extractfile(top)) as layer:
                assert not {".dockerenv", "etc/mtab"} & {m.name.lstrip("./") for m in layer.getmembers()}
    finally:
        client.images.remove(image.id, force=True)
