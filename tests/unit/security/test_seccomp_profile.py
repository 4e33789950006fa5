"""Which rules of Docker's default profile a container gets, by its capabilities, the architecture and the
kernel, as moby's setupSeccomp chooses them."""

import json

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from runtime.errors import InvalidParameter, NotImplementedYet
from runtime.security.capabilities import DEFAULT_SET, names_of
from runtime.security.seccomp_filter import compile_filter
from runtime.security.seccomp_profile import (
    ACTIONS,
    OPERATORS,
    Host,
    choose,
    default_profile,
    kernel_version,
    parse_profile,
)

AMD64 = Host("amd64", (6, 1))
DEFAULT_CAPS = names_of(DEFAULT_SET)


def _allowed(chosen) -> set[str]:
    return {n for r in chosen.rules if r.action == "SCMP_ACT_ALLOW" and not r.args for n in r.names}


def _rules_for(chosen, name):
    return [r for r in chosen.rules if name in r.names]


@pytest.fixture(scope="module")
def profile():
    return parse_profile(default_profile())


def test_the_default_is_eperm_with_x86_sub_architectures(profile):
    chosen = choose(profile, DEFAULT_CAPS, AMD64)
    assert (chosen.default_action, chosen.default_errno) == ("SCMP_ACT_ERRNO", 1)
    assert chosen.architectures == ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32")


def test_a_default_container_gets_neither_admin_calls_nor_io_uring(profile):
    allowed = _allowed(choose(profile, DEFAULT_CAPS, AMD64))
    for name in ("mount", "unshare", "setns", "bpf", "perf_event_open", "keyctl", "add_key", "io_uring_setup",
                 "init_module", "reboot", "kexec_load"):  # fmt: skip
        assert name not in allowed, name
    assert {"read", "getpid", "chroot", "arch_prctl", "modify_ldt", "ptrace"} <= allowed


def test_clone_is_allowed_only_without_namespace_flags_and_clone3_gets_enosys(profile):
    chosen = choose(profile, DEFAULT_CAPS, AMD64)
    (clone,) = _rules_for(chosen, "clone")
    assert [(a.index, a.value, a.value_two, a.op) for a in clone.args] == [(0, 0x7E020000, 0, "SCMP_CMP_MASKED_EQ")]
    (clone3,) = _rules_for(chosen, "clone3")
    assert (clone3.action, clone3.errno_ret) == ("SCMP_ACT_ERRNO", 38)


def test_cap_sys_admin_opens_the_admin_calls_and_plain_clone(profile):
    chosen = choose(profile, DEFAULT_CAPS | {"CAP_SYS_ADMIN"}, AMD64)
    assert {"mount", "unshare", "setns", "clone", "clone3"} <= _allowed(chosen)
    assert all(not r.args for r in _rules_for(chosen, "clone"))  # the masked clone rule is excluded


@pytest.mark.parametrize(
    ("cap", "calls"),
    [
        ("CAP_SYS_PTRACE", {"kcmp", "process_madvise", "pidfd_getfd"}),
        ("CAP_SYS_MODULE", {"init_module", "finit_module", "delete_module"}),
        ("CAP_SYS_TIME", {"settimeofday", "clock_settime"}),
        ("CAP_BPF", {"bpf"}),
        ("CAP_PERFMON", {"perf_event_open"}),
        ("CAP_DAC_READ_SEARCH", {"open_by_handle_at"}),
    ],
)
def test_capability_dependent_rules(profile, cap, calls):
    assert not calls & _allowed(choose(profile, DEFAULT_CAPS, AMD64))
    assert calls <= _allowed(choose(profile, DEFAULT_CAPS | {cap}, AMD64))


def test_personality_and_socket_have_their_argument_filters(profile):
    chosen = choose(profile, DEFAULT_CAPS, AMD64)
    personas = sorted(r.args[0].value for r in _rules_for(chosen, "personality"))
    assert personas == [0, 8, 0x20000, 0x20008, 0xFFFFFFFF]
    (socket,) = _rules_for(chosen, "socket")
    assert [(a.index, a.value, a.op) for a in socket.args] == [(0, 40, "SCMP_CMP_NE")]  # AF_VSOCK


def test_old_kernels_lose_ptrace(profile):
    assert "ptrace" not in _allowed(choose(profile, DEFAULT_CAPS, Host("amd64", (4, 4))))


def test_arm64_gets_its_own_calls_and_not_x86s(profile):
    chosen = choose(profile, DEFAULT_CAPS, Host("arm64", (6, 1)))
    assert chosen.architectures == ("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM")
    allowed = _allowed(chosen)
    assert "set_tls" in allowed and "arch_prctl" not in allowed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "Decoding seccomp profile failed: "),
        ('{"defaultAction": "SCMP_ACT_NOPE"}', "unknown action 'SCMP_ACT_NOPE'"),
        ('{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{}]}',
         "both 'architectures' and 'archMap'"),
        ('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", '
         '"args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}', "unknown operator"),
    ],
)  # fmt: skip
def test_bad_profiles_are_refused_with_the_reason(text, message):
    with pytest.raises(InvalidParameter) as refused:
        parse_profile(text)
    assert message in str(refused.value)
    assert str(refused.value).startswith("Decoding seccomp profile failed: ")


def test_notify_is_refused_as_not_supported():
    with pytest.raises(NotImplementedYet):
        parse_profile('{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/x.sock"}')


@pytest.mark.parametrize(
    ("release", "version"), [("6.18.44-fc-v1272", (6, 18)), ("4.8", (4, 8)), ("5.10.0-rc1", (5, 10))]
)
def test_kernel_versions(release, version):
    assert kernel_version(release) == version


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**65), 2**65) | st.text(max_size=12) | st.sampled_from(ACTIONS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=15,
)
args = st.fixed_dictionaries(
    {"index": st.integers(-1, 7), "value": st.integers(-1, 2**64), "op": st.sampled_from(OPERATORS)}
)
rule_fields = st.fixed_dictionaries(
    {},
    optional={
        "names": json_values | st.lists(st.sampled_from(["read", "mount", "nosuch", "personality"]), max_size=3),
        "action": json_values | st.sampled_from(ACTIONS),
        "errnoRet": json_values,
        "args": json_values | st.lists(args, max_size=7),
        "includes": json_values,
        "excludes": json_values,
    },
)  # fmt: skip
profiles = st.fixed_dictionaries(
    {"defaultAction": json_values | st.sampled_from(ACTIONS)},
    optional={"syscalls": json_values | st.lists(rule_fields, max_size=4), "archMap": json_values,
              "architectures": json_values, "defaultErrnoRet": json_values},
)  # fmt: skip


@seed(15)
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(profiles)
def test_any_profile_is_compiled_or_refused_with_a_reason(raw):
    """What a client sends as --security-opt seccomp=: a 400 or 501 with a message, or a program; never a crash."""
    try:
        profile = parse_profile(json.dumps(raw))
        compile_filter(choose(profile, DEFAULT_CAPS, Host.this_machine()))
    except (InvalidParameter, NotImplementedYet) as e:
        assert str(e)
