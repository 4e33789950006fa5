"""The options that loosen or tighten isolation on purpose, through the real docker CLI, each checked against
what the container sees (/proc/self/status, its mounts, its namespaces) and what it can do; bad values get
Docker's messages."""

import os
import socket

import docker
import pytest

from tests.support.cli import porthole
from tests.support.probe import build_probe

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    return build_probe(tmp_path_factory.mktemp("probe"))


def _sh(ph, script: str, *flags: str) -> str:
    result = ph.docker("run", "--rm", *flags, "busybox", "sh", "-c", script)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def _status(ph, *flags: str) -> dict[str, str]:
    out = _sh(ph, "cat /proc/self/status", *flags)
    return dict(line.split(":\t", 1) for line in out.splitlines() if ":\t" in line)


def _refused(client, **host_config) -> docker.errors.APIError:
    with pytest.raises(docker.errors.APIError) as refused:
        client.api.create_container("busybox", "true", host_config=client.api.create_host_config(**host_config))
    assert client.containers.list(all=True) == []
    return refused.value


# -- capabilities -----------------------------------------------------------------------------------------
def test_cap_add_and_drop_change_the_sets(ph):
    assert _status(ph, "--cap-add", "NET_ADMIN")["CapEff"] == "00000000a80435fb"
    assert _status(ph, "--cap-drop", "chown")["CapBnd"] == "00000000a80425fa"
    assert _status(ph, "--cap-drop", "ALL")["CapEff"] == "0000000000000000"
    assert _status(ph, "--cap-drop", "ALL", "--cap-add", "CAP_KILL")["CapEff"] == "0000000000000020"


def test_cap_net_admin_lets_the_container_configure_its_interfaces(ph):
    assert ph.docker("run", "--rm", "busybox", "ip", "link", "set", "lo", "down").returncode != 0
    _sh(ph, "ip link set lo down", "--cap-add", "NET_ADMIN")


def test_cap_sys_admin_opens_mount_in_the_filter_too(ph):
    out = _sh(
        ph, "mkdir -p /mnt && mount -t tmpfs none /mnt && grep -c ' /mnt tmpfs' /proc/mounts", "--cap-add", "SYS_ADMIN"
    )
    assert out == "1\n"


def test_cap_drop_chown_refuses_chown(ph):
    result = ph.docker("run", "--rm", "--cap-drop", "CHOWN", "busybox", "chown", "1000", "/bin")
    assert result.returncode != 0
    assert b"Operation not permitted" in result.stderr


def test_an_unknown_capability_is_refused_as_docker_refuses_it(ph, client):
    error = _refused(client, cap_add=["FOO"])
    assert (error.status_code, error.explanation) == (400, 'unknown capability: "CAP_FOO"')


# -- privileged -------------------------------------------------------------------------------------------
def _daemon_caps(ph) -> str:
    with open(f"/proc/{ph.process.pid}/status") as f:
        return next(line.split()[1] for line in f if line.startswith("CapPrm:"))


def test_privileged_gets_the_daemons_capabilities_no_filter_no_masks_and_the_host_devices(ph):
    status = _status(ph, "--privileged")
    assert status["CapEff"] == status["CapBnd"] == _daemon_caps(ph)  # not every capability: the daemon's
    assert status["Seccomp"] == "0"
    script = (
        "grep -cE ' /proc/(keys|timer_list|sys|acpi|scsi) ' /proc/mounts; "
        "grep ' /sys ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1; ls /dev/loop-control"
    )
    default = ph.docker("run", "--rm", "busybox", "sh", "-c", script).stdout.decode().split()
    assert int(default[0]) > 0 and default[1] == "ro" and len(default) == 2  # masked, read-only, no such device
    masks, sys_mode, device = _sh(ph, script, "--privileged").split()
    assert masks == "0"  # no masked or read-only /proc paths
    assert sys_mode == "rw"
    assert device == "/dev/loop-control"  # the host's devices


# -- no-new-privileges ------------------------------------------------------------------------------------
def test_no_new_privileges_sets_the_bit_and_setuid_no_longer_raises(ph, probe, tmp_path):
    assert _status(ph, "--security-opt", "no-new-privileges")["NoNewPrivs"] == "1"
    assert _status(ph)["NoNewPrivs"] == "0"
    setuid_probe = tmp_path / "setuid-probe"
    setuid_probe.write_bytes(probe.read_bytes())
    setuid_probe.chmod(0o4755)
    out = ph.docker("run", "--rm", "-u", "1000", "--security-opt", "no-new-privileges",
                    "-v", f"{setuid_probe}:/setuid-probe:ro", "busybox", "/setuid-probe", "geteuid",
                    check=True).stdout  # fmt: skip
    assert out == b"ok 1000\n"


# -- filesystem -------------------------------------------------------------------------------------------
def test_read_only_root_with_writable_shm_and_tmpfs_where_given(ph):
    result = ph.docker("run", "--rm", "--read-only", "busybox", "touch", "/etc/x")
    assert result.returncode != 0
    assert b"Read-only file system" in result.stderr
    out = _sh(ph, "touch /dev/shm/x /run/x && echo writable; touch /tmp/x || echo tmp-read-only", "--read-only",
              "--tmpfs", "/run")  # fmt: skip
    assert out == "writable\ntmp-read-only\n"


def test_tmpfs_options_with_dockers_defaults(ph):
    out = _sh(ph, "grep ' /run ' /proc/mounts", "--tmpfs", "/run:rw,size=1m,mode=1770,exec")
    _, target, fstype, options, _, _ = out.split()
    assert (target, fstype) == ("/run", "tmpfs")
    assert set(options.split(",")) >= {"rw", "nosuid", "nodev", "size=1024k", "mode=1770"}
    assert "noexec" not in options.split(",")  # exec given: Docker's noexec default is dropped


def test_a_bad_tmpfs_option_is_refused(ph, client):
    error = _refused(client, tmpfs={"/run": "bogus"})
    assert error.status_code == 400
    assert 'unknown option "bogus"' in error.explanation


def test_shm_size(ph):
    assert _sh(ph, "df -k /dev/shm | tail -1", "--shm-size", "2m").split()[1] == "2048"
    assert _sh(ph, "df -k /dev/shm | tail -1").split()[1] == "65536"


# -- devices ----------------------------------------------------------------------------------------------
def test_device_is_made_and_allowed_in_the_device_cgroup(ph):
    out = _sh(ph, "stat -c '%t:%T %a' /dev/lc; exec 3</dev/lc && echo opened", "--device",
              "/dev/loop-control:/dev/lc:r")  # fmt: skip
    assert out == "a:ed 600\nopened\n"


def test_without_a_rule_a_made_node_cannot_be_opened_and_with_one_it_can(ph):
    script = "mknod /dev/lc c 10 237 && (exec 3</dev/lc) 2>/dev/null && echo opened || echo refused"
    assert _sh(ph, script) == "refused\n"
    assert _sh(ph, script, "--device-cgroup-rule", "c 10:237 r") == "opened\n"


def test_bad_device_values_get_dockers_messages(ph, client):
    error = _refused(client, device_cgroup_rules=["x 1:2 rwm"])
    assert (error.status_code, error.explanation) == (400, "invalid device cgroup format 'x 1:2 rwm'")
    error = _refused(client, devices=["/dev/no-such-device:/dev/x:rwm"])
    assert error.explanation == (
        'error gathering device information while adding custom device "/dev/no-such-device": no such file or directory'
    )


# -- process limits ---------------------------------------------------------------------------------------
def test_ulimit(ph):
    assert _sh(ph, "ulimit -n; ulimit -Hn", "--ulimit", "nofile=100:200").split() == ["100", "200"]


def test_a_soft_ulimit_above_the_hard_one_is_refused(ph, client):
    error = _refused(client, ulimits=[docker.types.Ulimit(name="nofile", soft=20, hard=10)])
    assert error.explanation == "ulimit soft limit must be less than or equal to hard limit: 20 > 10"


def test_group_add_by_name_and_number(ph):
    assert _sh(ph, "id -G", "--group-add", "audio", "--group-add", "4242").split() == ["0", "10", "29", "4242"]


def test_oom_score_adj(ph):
    assert _sh(ph, "cat /proc/self/oom_score_adj", "--oom-score-adj", "500") == "500\n"
    error = _refused(ph.client(), oom_score_adj=1001)
    assert error.explanation == "Invalid value 1001, range for oom score adj is [-1000, 1000]"


def test_namespaced_sysctls_are_set_and_others_refused(ph, client):
    out = _sh(ph, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni", "--sysctl", "net.ipv4.ip_forward=1",
              "--sysctl", "kernel.shmmni=1000")  # fmt: skip
    assert out.split() == ["1", "1000"]
    error = _refused(client, sysctls={"kernel.panic": "1"})
    assert (error.status_code, error.explanation) == (
        400,
        'sysctl "kernel.panic" is not in a separate kernel namespace',
    )
    error = _refused(client, sysctls={"net.ipv4.ip_forward": "1"}, network_mode="host")
    assert error.explanation == 'sysctl "net.ipv4.ip_forward" not allowed in host network namespace'


def test_init_runs_tini_as_pid_1(ph):
    out = _sh(ph, "tr '\\0' ' ' < /proc/1/cmdline; echo; cat /proc/1/comm", "--init")
    assert out.splitlines() == ["/sbin/docker-init -- sh -c tr '\\0' ' ' < /proc/1/cmdline; echo; cat /proc/1/comm ",
                                "docker-init"]  # fmt: skip


# -- namespaces -------------------------------------------------------------------------------------------
def _ns(ph, kind: str, *flags: str) -> str:
    return _sh(ph, f"readlink /proc/self/ns/{kind}", *flags).strip()


def test_host_namespaces(ph):
    for kind, flag in (("pid", "--pid=host"), ("ipc", "--ipc=host"), ("uts", "--uts=host")):
        assert _ns(ph, kind, flag) == os.readlink(f"/proc/self/ns/{kind}"), kind
        assert _ns(ph, kind) != os.readlink(f"/proc/self/ns/{kind}"), kind
    assert _sh(ph, "hostname", "--uts=host").strip() == socket.gethostname()


def test_cgroupns_private_and_host(ph):
    host = os.readlink("/proc/self/ns/cgroup")
    assert _ns(ph, "cgroup", "--cgroupns=private") != host
    assert _ns(ph, "cgroup", "--cgroupns=host") == host


def test_joining_another_containers_pid_and_ipc_namespaces(ph, client):
    donor = client.containers.run("busybox", ["sleep", "60"], detach=True, ipc_mode="shareable")
    pid = client.api.inspect_container(donor.id)["State"]["Pid"]
    assert _ns(ph, "pid", f"--pid=container:{donor.id}") == os.readlink(f"/proc/{pid}/ns/pid")
    assert _ns(ph, "ipc", f"--ipc=container:{donor.id}") == os.readlink(f"/proc/{pid}/ns/ipc")
    assert "sleep" in _sh(ph, "ps -o comm", f"--pid=container:{donor.id}")


def test_joining_a_non_shareable_ipc_is_refused(ph, client):
    donor = client.containers.run("busybox", ["sleep", "60"], detach=True)
    result = ph.docker("run", "--rm", f"--ipc=container:{donor.id}", "busybox", "true")
    assert result.returncode != 0
    assert b"non-shareable IPC (hint: use IpcMode:shareable for the donor container)" in result.stderr


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("PidMode", "bogus", "invalid PID mode: bogus"),
        ("IpcMode", "bogus", "invalid IPC mode: bogus"),
        ("UTSMode", "bogus", "invalid UTS mode: bogus"),
        ("CgroupnsMode", "bogus", "invalid cgroup namespace mode: bogus"),
    ],
)
def test_bad_namespace_modes_get_dockers_messages(ph, client, field, value, message):
    with pytest.raises(docker.errors.APIError) as refused:  # raw fields: docker-py checks some modes itself
        client.api.create_container("busybox", "true", host_config={field: value})
    assert (refused.value.status_code, refused.value.explanation) == (400, message)


def test_userns_host_is_accepted_and_an_unknown_mode_refused(ph, client):
    _sh(ph, "true", "--userns=host")
    with pytest.raises(docker.errors.APIError) as refused:
        client.api.create_container("busybox", "true", host_config={"UsernsMode": "remap"})
    assert (refused.value.status_code, refused.value.explanation) == (400, "invalid USER mode: remap")


# -- the porthole CLI sends the same fields ----------------------------------------------------------------
def test_the_porthole_cli_takes_the_isolation_flags(ph, tmp_path):
    profile = tmp_path / "profile.json"
    profile.write_text('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], '
                       '"action": "SCMP_ACT_ERRNO"}]}')  # fmt: skip
    script = "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status; ulimit -n; id -G; mkdir /d || echo no-mkdir"
    result = porthole(ph, "run", "--rm", "--cap-drop", "ALL", "--cap-add", "kill", "--security-opt",
                      f"seccomp={profile}", "--security-opt", "no-new-privileges", "--ulimit", "nofile=64:64",
                      "--group-add", "4242", "--read-only", "busybox", "sh", "-c", script)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["CapEff:", "0000000000000020", "NoNewPrivs:", "1", "Seccomp:", "2", "64", "0",
                                     "10", "4242", "no-mkdir"]  # fmt: skip


def test_exec_runs_under_the_containers_confinement_and_privileged_exec_gets_the_daemons_caps(ph, client):
    container = client.containers.run("busybox", ["sleep", "60"], detach=True, cap_add=["NET_ADMIN"],
                                      security_opt=["no-new-privileges"])  # fmt: skip
    status = container.exec_run(["cat", "/proc/self/status"]).output.decode()
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    assert (fields["CapEff"], fields["NoNewPrivs"], fields["Seccomp"]) == ("00000000a80435fb", "1", "2")
    privileged = container.exec_run(["grep", "CapEff", "/proc/self/status"], privileged=True).output.decode()
    assert privileged.split() == ["CapEff:", _daemon_caps(ph)]


def test_systempaths_unconfined_leaves_proc_unmasked(ph):
    script = "grep -cE ' /proc/(keys|timer_list|sys|acpi|scsi|bus|fs|irq) ' /proc/mounts"
    assert int(_sh(ph, script)) > 0
    result = ph.docker("run", "--rm", "--security-opt", "systempaths=unconfined", "busybox", "sh", "-c", script)
    assert result.stdout == b"0\n"  # grep -c counts none (and exits 1)
