"""The isolation options' validation at create, with Docker's messages, and what they become for the shim."""

from pathlib import Path

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from runtime.engine.isolation import check_isolation, plan_isolation
from runtime.engine.model import RUNNING, Container
from runtime.engine.tmpfs import tmpfs_mount
from runtime.errors import Conflict, EngineError, InvalidParameter, NotFound
from runtime.linux.constants import MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY
from runtime.security import SecurityPolicy, own_capabilities

TINI = Path("/usr/bin/tini-static")


def _container(cid: str = "c" * 64, status: str = "created", pid: int = 0, **host_config) -> Container:
    c = Container(id=cid, name=cid[:4], created="", image_ref="busybox", image_id="", config={},
                  host_config=host_config, networking_config={}, mounts=[], path="sh", args=[], layers=[])  # fmt: skip
    c.state.status, c.state.pid = status, pid
    return c


def _nobody(ref: str) -> Container:
    raise NotFound(f"No such container: {ref}")


@pytest.mark.parametrize(
    ("host_config", "message"),
    [
        ({"OomScoreAdj": 1001}, "Invalid value 1001, range for oom score adj is [-1000, 1000]"),
        ({"ShmSize": -1}, "SHM size can not be less than 0"),
        ({"Ulimits": [{"Name": "nofiles", "Soft": 1, "Hard": 2}]}, "invalid ulimit type: nofiles"),
        ({"Ulimits": [{"Name": "nofile", "Soft": 3, "Hard": 2}]},
         "ulimit soft limit must be less than or equal to hard limit: 3 > 2"),
        ({"Sysctls": {"kernel.panic": "1"}}, 'sysctl "kernel.panic" is not in a separate kernel namespace'),
        ({"Sysctls": {"net.core.somaxconn": "1"}, "NetworkMode": "host"},
         'sysctl "net.core.somaxconn" not allowed in host network namespace'),
        ({"Sysctls": {"kernel.shmmax": "1"}, "IpcMode": "host"},
         'sysctl "kernel.shmmax" not allowed in host IPC namespace'),
        ({"PidMode": "nope"}, "invalid PID mode: nope"),
        ({"IpcMode": "nope"}, "invalid IPC mode: nope"),
        ({"UTSMode": "container:x"}, "invalid UTS mode: container:x"),
        ({"CgroupnsMode": "nope"}, "invalid cgroup namespace mode: nope"),
        ({"DeviceCgroupRules": ["c 1:3"]}, "invalid device cgroup format 'c 1:3'"),
        ({"Devices": [{"PathOnHost": "/dev/null", "CgroupPermissions": "rwx"}]}, "invalid device mode: rwx"),
        ({"Tmpfs": {"run": ""}}, "invalid mount path: 'run' mount path must be absolute"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_with_dockers_messages(host_config, message):
    with pytest.raises(InvalidParameter) as refused:
        check_isolation(host_config, "", _nobody, TINI)
    assert message in str(refused.value)


def test_uts_host_with_a_hostname_conflicts():
    with pytest.raises(InvalidParameter, match="^conflicting options: hostname and the UTS mode$"):
        check_isolation({"UTSMode": "host"}, "myhost", _nobody, TINI)


def test_joining_a_container_that_does_not_exist_is_a_404():
    with pytest.raises(NotFound):
        check_isolation({"PidMode": "container:ghost"}, "", _nobody, TINI)


def test_an_unknown_userns_mode_is_refused():
    with pytest.raises(InvalidParameter, match="invalid USER mode: private"):
        check_isolation({"UsernsMode": "private"}, "", _nobody, TINI)


@pytest.mark.parametrize(
    ("host_config", "message"),
    [
        ({"Privileged": True}, "privileged mode is incompatible with user namespaces.  You must run the container"),
        ({"NetworkMode": "host"}, "cannot share the host's network namespace when user namespaces are enabled"),
        ({"PidMode": "host"}, "cannot share the host PID namespace when user namespaces are enabled"),
    ],
)
def test_under_userns_remap_what_needs_the_hosts_user_namespace_is_refused_unless_userns_host(host_config, message):
    with pytest.raises(InvalidParameter, match=message):
        check_isolation(host_config, "", _nobody, TINI, remapped=True)
    check_isolation({**host_config, "UsernsMode": "host"}, "", _nobody, TINI, remapped=True)
    check_isolation(host_config, "", _nobody, TINI, remapped=False)


def test_init_without_the_binary_is_refused(tmp_path):
    with pytest.raises(InvalidParameter, match="--init: no init binary"):
        check_isolation({"Init": True}, "", _nobody, tmp_path / "tini-static")


def test_tmpfs_keeps_dockers_defaults_under_the_users_options():
    m = tmpfs_mount("/run", "size=1m,exec,ro")
    assert m.flags == MS_NOSUID | MS_NODEV | MS_RDONLY and m.readonly and m.data == "size=1m"
    assert tmpfs_mount("/run", "").flags == MS_NOSUID | MS_NODEV | MS_NOEXEC


def test_a_plan_joins_a_running_shareable_donor(tmp_path):
    donor = _container("d" * 64, RUNNING, 4242, IpcMode="shareable")
    me = _container(PidMode=f"container:{donor.id}", IpcMode=f"container:{donor.id}", Init=True)
    plan = plan_isolation(me, lambda ref: donor, TINI, False, lambda cid: tmp_path / cid)
    assert (plan.isolation.namespaces.pid, plan.isolation.namespaces.ipc) == ("/proc/4242/ns/pid", "/proc/4242/ns/ipc")
    assert [(m.source, m.destination) for m in plan.mounts] == [
        (str(tmp_path / donor.id / "shm"), "/dev/shm"),
        (str(TINI), "/sbin/docker-init"),
    ]
    assert plan.isolation.shm_size == 0 and plan.argv_prefix == ("/sbin/docker-init", "--")


def test_a_plan_refuses_a_stopped_or_private_donor(tmp_path):
    stopped = _container("d" * 64, "exited")
    with pytest.raises(Conflict, match="cannot join PID of a non running container"):
        plan_isolation(_container(PidMode="container:d"), lambda ref: stopped, TINI, False, lambda cid: tmp_path)
    private = _container("d" * 64, RUNNING, 4242)
    with pytest.raises(Conflict, match="non-shareable IPC"):
        plan_isolation(_container(IpcMode="container:d"), lambda ref: private, TINI, False, lambda cid: tmp_path)


def test_privileged_allows_every_device_and_cgroupns_follows_the_mode(tmp_path):
    plan = plan_isolation(_container(Privileged=True), _nobody, TINI, True, lambda cid: tmp_path)
    assert plan.device_rules == ("a *:* rwm",)
    assert plan.isolation.privileged and plan.cgroup_namespace  # v2's default: private
    assert not plan_isolation(_container(CgroupnsMode="host"), _nobody, TINI, True, lambda c: tmp_path).cgroup_namespace


FIELDS = ["Privileged", "CapAdd", "CapDrop", "SecurityOpt", "ReadonlyRootfs", "Tmpfs", "Devices", "DeviceCgroupRules",
          "Ulimits", "GroupAdd", "Sysctls", "ShmSize", "Init", "OomScoreAdj", "PidMode", "IpcMode", "UTSMode",
          "CgroupnsMode", "UsernsMode", "MaskedPaths", "ReadonlyPaths", "NetworkMode"]  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@seed(15)
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4))
def test_any_isolation_option_is_accepted_or_refused_with_a_reason(host_config):
    policy = SecurityPolicy(own_capabilities())
    try:
        check_isolation(host_config, "", _nobody, TINI)
        policy.program(policy.confinement(host_config))
    except EngineError as e:
        assert str(e)
