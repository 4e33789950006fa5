"""What the kernel's seccomp action cache (Linux 5.11, kernel/seccomp.c) makes of a filter program.

When a filter is attached, the kernel runs it once per system call number of the native architecture on an
emulator that knows only the number and the architecture (no arguments, no instruction pointer). A call whose
path through the program ends in RET ALLOW whatever its arguments is then allowed from a bitmap: the program no
longer runs for it, and its cost is the seccomp entry alone, the same for any filter so answered. This is that
emulator (seccomp_is_const_allow), for the tests and the benchmark to tell which calls the cache answers."""

import struct

import pyseccomp

from runtime.linux.constants import DEFAULT_CAPABILITY_SET
from runtime.security.capabilities import names_of
from runtime.security.seccomp_profile import ChosenFilter, Host, choose, default_profile, parse_profile

_RET_ALLOW = 0x7FFF0000
_NR_OFFSET, _ARCH_OFFSET = 0, 4
_LD_W_ABS, _JA, _RET_K, _ALU_AND_K = 0x20, 0x05, 0x06, 0x54
_JUMPS = {0x15: lambda a, k: a == k, 0x35: lambda a, k: a >= k, 0x25: lambda a, k: a > k, 0x45: lambda a, k: a & k}


def default_filter() -> ChosenFilter:
    """What a default container's program is compiled from: Docker's profile, Docker's capabilities."""
    return choose(parse_profile(default_profile()), names_of(DEFAULT_CAPABILITY_SET), Host.this_machine())


def kernel_cache_allows(program: bytes, call: str) -> bool:
    """Whether the kernel's action cache allows `call` (a native call's name) without running `program`."""
    arch = pyseccomp.system_arch()
    number = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, call)
    instructions = [struct.unpack_from("=HBBI", program, at) for at in range(0, len(program), 8)]
    value, pc = 0, 0
    while pc < len(instructions):
        code, jump_true, jump_false, k = instructions[pc]
        if code == _LD_W_ABS:
            if k not in (_NR_OFFSET, _ARCH_OFFSET):
                return False  # a load of an argument: not constant
            value = number if k == _NR_OFFSET else arch
        elif code == _RET_K:
            return k == _RET_ALLOW
        elif code == _JA:
            pc += k
        elif code in _JUMPS:
            pc += jump_true if _JUMPS[code](value, k) else jump_false
        elif code == _ALU_AND_K:
            value &= k
        else:
            return False  # an instruction the emulator does not know
        pc += 1
    return False
