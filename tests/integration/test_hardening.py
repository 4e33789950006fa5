"""What Docker's default confinement blocks and allows, checked in a default container (run and exec) one call at
a time with the probe (tests/support/probe.c), and what --security-opt seccomp= changes. Each blocked call here
was open before porthole applied Docker's seccomp profile."""

import ctypes
import secrets

import docker
import pytest

from tests.support.probe import IN_CONTAINER, build_probe, probe_mount

pytestmark = pytest.mark.root

# (probe call, argument, what Docker's default answers)
BLOCKED = [
    ("add_key", "", "EPERM"),
    ("perf_event_open", "", "EPERM"),
    ("personality", "0x0040000", "EPERM"),  # ADDR_NO_RANDOMIZE: not one of the values the profile allows
    ("io_uring_setup", "", "EPERM"),
    ("finit_module", "", "EPERM"),
    ("unshare-user", "", "EPERM"),
    ("socket-vsock", "", "EPERM"),
    ("clone3", "", "ENOSYS"),  # so that the C library falls back to clone, whose flags the filter can see
    # calls newer than the profile (its highest on x86_64 is 456): ENOSYS, so that the C library falls back, as
    # runc answers; 457 is statmount on this kernel (Linux 6.8), 1000 no call at all
    ("syscall", "457", "ENOSYS"),
    ("syscall", "1000", "ENOSYS"),
]


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    return build_probe(tmp_path_factory.mktemp("probe"))


def _run(ph, probe, *args: str, flags: tuple[str, ...] = ()) -> str:
    result = ph.docker("run", "--rm", *probe_mount(probe), *flags, "busybox", *args)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def _seccomp_mode(status: str) -> str:
    return next(line.split()[1] for line in status.splitlines() if line.startswith("Seccomp:"))


def test_run_is_in_seccomp_filter_mode(ph, probe):
    assert _seccomp_mode(_run(ph, probe, "cat", "/proc/self/status")) == "2"


def test_exec_is_in_seccomp_filter_mode_and_blocked_alike(ph, probe):
    ph.docker("run", "-d", "--name", "confined", *probe_mount(probe), "busybox", "sleep", "60", check=True)
    status = ph.docker("exec", "confined", "cat", "/proc/self/status", check=True).stdout.decode()
    assert _seccomp_mode(status) == "2"
    assert ph.docker("exec", "confined", IN_CONTAINER, "unshare-user", check=True).stdout == b"EPERM\n"


@pytest.mark.parametrize(("call", "argument", "answer"), BLOCKED, ids=["-".join(filter(None, b[:2])) for b in BLOCKED])
def test_default_profile_blocks(ph, probe, call, argument, answer):
    assert _run(ph, probe, IN_CONTAINER, call, *([argument] if argument else [])).split() == [answer]


@pytest.mark.parametrize("persona", ["0xffffffff", "0x8", "0x0"])  # query, PER_LINUX32, PER_LINUX
def test_default_profile_allows_the_personalities_docker_allows(ph, probe, persona):
    assert _run(ph, probe, IN_CONTAINER, "personality", persona).startswith("ok")


def test_user_namespaces_cannot_be_made_to_configure_interfaces(ph, probe):
    result = ph.docker("run", "--rm", "busybox", "unshare", "-U", "-r", "-n", "ip", "link", "set", "lo", "up")
    assert result.returncode != 0
    assert b"Operation not permitted" in result.stderr


def test_mount_is_refused(ph):
    result = ph.docker("run", "--rm", "busybox", "mount", "-t", "tmpfs", "none", "/mnt")
    assert result.returncode != 0
    assert b"mount: permission denied" in result.stderr  # busybox's words for EPERM


def test_ping_and_chown_still_work(ph):
    script = "ping -c 1 -W 5 127.0.0.1 >/dev/null && echo ping-ok; touch /f && chown 1000:1000 /f && stat -c %u /f"
    assert ph.docker("run", "--rm", "busybox", "sh", "-c", script, check=True).stdout == b"ping-ok\n1000\n"


def test_a_setuid_binary_still_raises_a_user_to_root(ph, probe, tmp_path):
    setuid_probe = tmp_path / "setuid-probe"
    setuid_probe.write_bytes(probe.read_bytes())
    setuid_probe.chmod(0o4755)  # owned by root, as the test runs
    out = ph.docker("run", "--rm", "-u", "1000", "-v", f"{setuid_probe}:/setuid-probe:ro", "busybox",
                    "/setuid-probe", "geteuid", check=True).stdout  # fmt: skip
    assert out == b"ok 0\n"


def test_seccomp_unconfined_turns_the_filter_off(ph, probe):
    out = _run(ph, probe, "sh", "-c", f"grep Seccomp: /proc/self/status; {IN_CONTAINER} clone3", flags=(
        "--security-opt", "seccomp=unconfined"))  # fmt: skip
    assert out.split() == ["Seccomp:", "0", "EINVAL"]  # clone3 reached the kernel, which refused its NULL args


def test_a_custom_profile_in_dockers_format_is_applied(ph, probe, tmp_path):
    # the docker CLI reads the file and sends its content
    profile = tmp_path / "profile.json"
    profile.write_text(
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO", '
        '"errnoRet": 13}, {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
    )
    result = ph.docker(
        "run", "--rm", "--security-opt", f"seccomp={profile}", "busybox", "sh", "-c", "mkdir /tmp/x || echo refused"
    )
    assert result.returncode == 0, result.stderr.decode()
    assert b"refused" in result.stdout
    assert b"Operation not permitted" in result.stderr


def test_a_malformed_profile_is_refused_at_create(ph, client):
    with pytest.raises(docker.errors.APIError) as refused:
        client.containers.create("busybox", "true", security_opt=["seccomp={not json"])
    assert refused.value.status_code == 400
    assert refused.value.explanation.startswith("Decoding seccomp profile failed: ")
    assert client.containers.list(all=True) == []


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("bogus", 'invalid --security-opt 1: "bogus"'),
        ("foo=bar", 'invalid --security-opt 2: "foo=bar"'),
        ("no-new-privileges=maybe", 'invalid --security-opt 2: "no-new-privileges=maybe"'),
    ],
)
def test_bad_security_options_get_dockers_messages(ph, client, option, message):
    with pytest.raises(docker.errors.APIError) as refused:
        client.api.create_container("busybox", "true", host_config=client.api.create_host_config(security_opt=[option]))
    assert refused.value.status_code == 400
    assert refused.value.explanation == message


# -- the host's keyring: keyrings are not namespaced, so only the filter keeps a container's root out of root's
_libc = ctypes.CDLL("libc.so.6", use_errno=True)
SYS_ADD_KEY, SYS_KEYCTL = 248, 250
KEY_SPEC_USER_KEYRING, KEYCTL_UNLINK = -4, 9


@pytest.fixture
def host_key():
    description, payload = f"porthole-test-{secrets.token_hex(4)}", secrets.token_hex(8)
    serial = _libc.syscall(
        SYS_ADD_KEY, b"user", description.encode(), payload.encode(), len(payload), KEY_SPEC_USER_KEYRING
    )
    assert serial > 0, ctypes.get_errno()
    yield description, payload
    _libc.syscall(SYS_KEYCTL, KEYCTL_UNLINK, serial, KEY_SPEC_USER_KEYRING)


def test_a_container_cannot_read_the_host_roots_keyring(ph, probe, host_key):
    description, payload = host_key
    assert _run(ph, probe, IN_CONTAINER, "keyctl-read-user-key", description).split() == ["EPERM"]
    # the hole the filter closes: without it, the container's root reads the host root's key
    unconfined = _run(ph, probe, IN_CONTAINER, "keyctl-read-user-key", description, flags=(
        "--security-opt", "seccomp=unconfined"))  # fmt: skip
    assert unconfined.split() == ["payload", payload]
