"""ENOSYS, not the profile's EPERM, for system calls newer than the profile: a few BPF instructions put in
front of libseccomp's program, as runc does (libcontainer/seccomp/patchbpf).

Why: a C library tries a new call first and falls back to an older one only on ENOSYS ("this kernel has no such
call"); an EPERM from the filter makes it give up instead, so a container image newer than the profile breaks
on a call its kernel would answer. libseccomp 2.5.4 has no action for "a number no rule names", so the stub
compares the call's number with the highest number the profile names on each architecture: above it, ENOSYS;
otherwise libseccomp's program decides. Calls in gaps below that number keep the default action (runc's
limit too).

x32 shares x86_64's audit architecture and marks its calls with bit 30 of the number: on x86_64 the stub
compares each mode with its own highest number."""

import errno
import struct
from collections.abc import Iterable
from dataclasses import dataclass

import pyseccomp

_SECCOMP_RET_ERRNO = 0x00050000
_X32_SYSCALL_BIT = 0x40000000
_NR_OFFSET, _ARCH_OFFSET = 0, 4  # struct seccomp_data: int nr; __u32 arch; ...

# classic BPF opcodes (linux/bpf_common.h)
_LD_W_ABS = 0x00 | 0x00 | 0x20  # BPF_LD | BPF_W | BPF_ABS
_JA = 0x05 | 0x00  # BPF_JMP | BPF_JA
_JEQ_K = 0x05 | 0x10  # BPF_JMP | BPF_JEQ | BPF_K
_JGT_K = 0x05 | 0x20
_JSET_K = 0x05 | 0x40
_RET_K = 0x06

_ENOSYS, _FILTER = "enosys", "filter"  # the stub's two exits: answer ENOSYS, or go on to libseccomp's program


@dataclass(frozen=True, slots=True)
class _Insn:
    code: int
    k: int = 0
    jt: int | str = 0  # an offset, or the label of an exit
    jf: int | str = 0


@dataclass(frozen=True, slots=True)
class HighestCalls:
    """The highest call number a profile names, per audit architecture (x32's apart from x86_64's)."""

    by_arch: dict[int, int]
    x32: int | None = None


def highest_calls(architectures: Iterable[str], names: Iterable[str]) -> HighestCalls:
    """The highest number among `names` on each of `architectures` (libseccomp's names); names an architecture
    does not know are left out, as the filter leaves them out."""
    names = tuple(names)
    by_arch: dict[int, int] = {}
    x32 = None
    for name in architectures:
        arch = getattr(pyseccomp.Arch, name.removeprefix("SCMP_ARCH_"))
        numbers = [pyseccomp.resolve_syscall(arch, n) for n in names]
        highest = max((n for n in numbers if n >= 0), default=None)
        if highest is None:
            continue
        if arch == pyseccomp.Arch.X32:
            x32 = highest
        else:
            by_arch[arch] = highest  # libseccomp's SCMP_ARCH_* are the kernel's AUDIT_ARCH_* (x32 apart)
    return HighestCalls(by_arch, x32)


def enosys_stub(highest: HighestCalls) -> bytes:
    """The instructions (struct sock_filter[]) to put in front of libseccomp's program."""
    program = [_Insn(_LD_W_ABS, _ARCH_OFFSET)]
    for arch, number in highest.by_arch.items():
        body = _arch_body(arch, number, highest.x32)
        program += [_Insn(_JEQ_K, arch, 0, len(body)), *body]
    program += [_Insn(_JA, jt=_FILTER), _Insn(_RET_K, _SECCOMP_RET_ERRNO | errno.ENOSYS)]
    return _assemble(program)


def _arch_body(arch: int, number: int, x32: int | None) -> list[_Insn]:
    """Compare the call's number with `number`, and on x86_64 an x32 call's with x32's highest."""
    load = _Insn(_LD_W_ABS, _NR_OFFSET)
    above = _Insn(_JGT_K, number, _ENOSYS, _FILTER)
    if arch != pyseccomp.Arch.X86_64:
        return [load, above]
    x32_above = _Insn(_JGT_K, x32, _ENOSYS, _FILTER) if x32 is not None else _Insn(_JA, jt=_FILTER)
    return [load, _Insn(_JSET_K, _X32_SYSCALL_BIT, 1, 0), above, x32_above]


def _assemble(program: list[_Insn]) -> bytes:
    """Resolve the exits' labels into the relative offsets classic BPF jumps by, and pack the instructions.
    The ENOSYS return is the stub's last instruction; libseccomp's program starts right after it."""
    targets = {_ENOSYS: len(program) - 1, _FILTER: len(program)}

    def offset(at: int, target: int | str) -> int:
        return targets[target] - at - 1 if isinstance(target, str) else target

    packed = []
    for at, insn in enumerate(program):
        if insn.code == _JA:  # an unconditional jump takes its offset in k
            packed.append(struct.pack("=HBBI", insn.code, 0, 0, offset(at, insn.jt)))
        else:
            packed.append(struct.pack("=HBBI", insn.code, offset(at, insn.jt), offset(at, insn.jf), insn.k))
    return b"".join(packed)
