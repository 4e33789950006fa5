"""A chosen seccomp profile compiled into the classic BPF program the kernel runs, by libseccomp (through
pyseccomp, ctypes over Debian's libseccomp2), in the daemon.

Why compile here and not in the container's init: libseccomp's compile takes milliseconds and its import
pages would be copied into every container process forked from the zygote; the daemon compiles each distinct
(profile, capabilities) once, and the init hands the finished program to seccomp(2) (runtime.linux.seccomp).
The program is libseccomp's own output, never written by hand.

Rules are added as runc adds them (libcontainer/seccomp): a rule whose action is the default is skipped (it
would change nothing, and libseccomp refuses it), a name this libseccomp does not know is skipped (a newer
profile on an older library), and conditions on one argument index become one rule each (alternatives), the
others one rule with all conditions (all must hold)."""

import errno
import os
import threading
from collections import Counter

import pyseccomp

from runtime.errors import InvalidParameter
from runtime.security.enosys_stub import enosys_stub, highest_calls
from runtime.security.seccomp_profile import ChosenFilter, SyscallRule

_OPERATORS = {
    "SCMP_CMP_NE": pyseccomp.NE,
    "SCMP_CMP_LT": pyseccomp.LT,
    "SCMP_CMP_LE": pyseccomp.LE,
    "SCMP_CMP_EQ": pyseccomp.EQ,
    "SCMP_CMP_GE": pyseccomp.GE,
    "SCMP_CMP_GT": pyseccomp.GT,
    "SCMP_CMP_MASKED_EQ": pyseccomp.MASKED_EQ,
}
# libseccomp's SCMP_FLTATR_CTL_OPTIMIZE: 2 sorts the syscalls into a binary tree, so a call is found in
# ~log2(n) comparisons instead of a walk down ~350 of them (see bench/bench_seccomp.py).
_OPTIMIZE_BINARY_TREE = 2
_NOT_A_SYSCALL = -1  # __NR_SCMP_ERROR: a name this libseccomp does not know


def action_value(action: str, errno_ret: int | None) -> int:
    if action == "SCMP_ACT_ERRNO":
        return pyseccomp.ERRNO(errno.EPERM if errno_ret is None else errno_ret)
    if action == "SCMP_ACT_TRACE":
        return pyseccomp.TRACE(errno.EPERM if errno_ret is None else errno_ret)
    return {
        "SCMP_ACT_KILL": pyseccomp.KILL,
        "SCMP_ACT_KILL_THREAD": pyseccomp.KILL_THREAD,
        "SCMP_ACT_KILL_PROCESS": pyseccomp.KILL_PROCESS,
        "SCMP_ACT_TRAP": pyseccomp.TRAP,
        "SCMP_ACT_ALLOW": pyseccomp.ALLOW,
        "SCMP_ACT_LOG": pyseccomp.LOG,
    }[action]


def _arch(name: str) -> int:
    value = getattr(pyseccomp.Arch, name.removeprefix("SCMP_ARCH_"), None)
    if value is None:
        raise InvalidParameter(f"Decoding seccomp profile failed: unknown architecture {name!r}")
    return value


def _condition_sets(rule: SyscallRule) -> list[list[pyseccomp.Arg]]:
    args = [pyseccomp.Arg(a.index, _OPERATORS[a.op], a.value, a.value_two) for a in rule.args]
    if any(count > 1 for count in Counter(a.index for a in rule.args).values()):
        return [[arg] for arg in args]
    return [args]


def compile_filter(chosen: ChosenFilter) -> bytes:
    """The BPF program (struct sock_filter[]) for `chosen`."""
    default = action_value(chosen.default_action, chosen.default_errno)
    f = pyseccomp.SyscallFilter(default)
    f.set_attr(pyseccomp.Attr.CTL_OPTIMIZE, _OPTIMIZE_BINARY_TREE)
    native = pyseccomp.system_arch()
    for name in chosen.architectures:
        arch = _arch(name)
        if arch != native:
            f.add_arch(arch)
    for rule in chosen.rules:
        action = action_value(rule.action, rule.errno_ret)
        if action == default:
            continue
        for name in rule.names:
            number = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name)
            if number == _NOT_A_SYSCALL:
                continue
            for conditions in _condition_sets(rule):
                try:
                    f.add_rule(action, number, *conditions)
                except OSError as e:
                    raise InvalidParameter(f"Decoding seccomp profile failed: syscall {name}: {e.strerror}") from None
    return _stub_for(chosen, default) + _exported(f)


def _stub_for(chosen: ChosenFilter, default: int) -> bytes:
    """The ENOSYS stub, unless the default already lets unknown calls reach the kernel or answers ENOSYS."""
    if default in (pyseccomp.ALLOW, pyseccomp.LOG, pyseccomp.ERRNO(errno.ENOSYS)):
        return b""
    return enosys_stub(highest_calls(chosen.architectures, (n for rule in chosen.rules for n in rule.names)))


def _exported(f: pyseccomp.SyscallFilter) -> bytes:
    fd = os.memfd_create("seccomp-bpf", os.MFD_CLOEXEC)
    try:
        f.export_bpf(_Fd(fd))
        size = os.lseek(fd, 0, os.SEEK_END)
        return os.pread(fd, size, 0)
    finally:
        os.close(fd)


class _Fd:
    """pyseccomp's export wants an object with fileno()."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        return self._fd


class FilterCache:
    """Compiled programs by what they are compiled from: containers with the same profile and capabilities
    (nearly all of them) share one compile. Bounded: custom profiles each add an entry, the oldest goes."""

    LIMIT = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._programs: dict[ChosenFilter, bytes] = {}

    def program(self, chosen: ChosenFilter) -> bytes:
        with self._lock:
            program = self._programs.get(chosen)
        if program is None:
            program = compile_filter(chosen)
            with self._lock:
                if len(self._programs) >= self.LIMIT:
                    del self._programs[next(iter(self._programs))]
                self._programs[chosen] = program
        return program
