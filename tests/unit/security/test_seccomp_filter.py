"""libseccomp's compile of Docker's default profile, loaded in a child process (with no_new_privileges, so no
privilege is needed) and asked what it answers: the program the container's init loads."""

import ctypes
import errno
import os

import pytest

from runtime.linux.constants import PR_SET_NO_NEW_PRIVS
from runtime.linux.syscalls import prctl, seccomp_set_filter
from runtime.security.capabilities import DEFAULT_SET, names_of
from runtime.security.seccomp_filter import FilterCache, compile_filter
from runtime.security.seccomp_profile import Host, choose, default_profile, parse_profile

_libc = ctypes.CDLL("libc.so.6", use_errno=True)
_libc.syscall.restype = ctypes.c_long
# x86_64 numbers
CALLS = {"getpid": 39, "unshare": 272, "clone3": 435, "io_uring_setup": 425, "personality": 135, "socket": 41,
         "keyctl": 250, "mount": 165, "statmount": 457, "unassigned-1000": 1000}  # fmt: skip
CLONE_NEWUSER = 0x10000000


def _answers(program: bytes, calls: list[tuple[str, tuple[int, ...]]]) -> list[str]:
    """Each call's result in a child that loaded `program`: "ok" or the errno's name."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            prctl(PR_SET_NO_NEW_PRIVS, 1)
            seccomp_set_filter(program)
            words = []
            for name, args in calls:
                result = _libc.syscall(CALLS[name], *(ctypes.c_ulong(a) for a in args))
                words.append("ok" if result != -1 else errno.errorcode[ctypes.get_errno()])
            os.write(write_end, " ".join(words).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read_end) as f:
        return f.read().split()


@pytest.fixture(scope="module")
def default_program():
    if os.uname().machine != "x86_64":
        pytest.skip("the syscall numbers here are x86_64's")
    return compile_filter(choose(parse_profile(default_profile()), names_of(DEFAULT_SET), Host.this_machine()))


def test_the_default_program_answers_as_dockers(default_program):
    answers = _answers(
        default_program,
        [
            ("getpid", ()),
            ("unshare", (CLONE_NEWUSER,)),
            ("clone3", (0, 0)),
            ("io_uring_setup", (1, 0)),
            ("personality", (0xFFFFFFFF,)),
            ("personality", (0x0040000,)),
            ("socket", (40, 1, 0)),
            ("keyctl", (0, 0)),
            ("mount", (0, 0, 0, 0, 0)),
        ],
    )
    assert answers == ["ok", "EPERM", "ENOSYS", "EPERM", "ok", "EPERM", "EPERM", "EPERM", "EPERM"]


def test_conditions_on_one_argument_are_alternatives():
    profile = parse_profile(
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", '
        '"errnoRet": 22, "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}, '
        '{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}]}'
    )
    program = compile_filter(choose(profile, frozenset(), Host.this_machine()))
    calls = [("personality", (8,)), ("personality", (0,)), ("personality", (0xFFFFFFFF,))]
    assert _answers(program, calls) == ["EINVAL", "EINVAL", "ok"]


def test_unknown_syscall_names_are_skipped_as_runc_skips_them():
    profile = parse_profile(
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["no_such_call", "getpid"], '
        '"action": "SCMP_ACT_ERRNO"}]}'
    )
    program = compile_filter(choose(profile, frozenset(), Host.this_machine()))
    assert _answers(program, [("getpid", ())]) == ["EPERM"]


def test_calls_newer_than_the_profile_answer_enosys_and_known_unlisted_ones_eperm(default_program):
    # statmount (457, Linux 6.8) is one above the highest the profile names on x86_64 (futex_requeue, 456): glibc
    # falls back from a new call only on ENOSYS. keyctl is below it and not allowed: the profile's EPERM.
    calls = [("statmount", (0, 0, 0, 0)), ("unassigned-1000", ()), ("keyctl", (0, 0)), ("getpid", ())]
    assert _answers(default_program, calls) == ["ENOSYS", "ENOSYS", "EPERM", "ok"]


def test_a_profile_that_allows_by_default_lets_unknown_calls_reach_the_kernel():
    profile = parse_profile(
        '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}]}'
    )
    program = compile_filter(choose(profile, frozenset(), Host.this_machine()))
    assert _answers(program, [("statmount", (0, 0, 0, 0)), ("getpid", ())]) == ["EFAULT", "EPERM"]


def test_the_cache_compiles_each_filter_once():
    chosen = choose(parse_profile(default_profile()), names_of(DEFAULT_SET), Host.this_machine())
    cache = FilterCache()
    assert cache.program(chosen) is cache.program(chosen)
