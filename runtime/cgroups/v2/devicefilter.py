"""The cgroup v2 device program: a BPF_PROG_TYPE_CGROUP_DEVICE program that allows exactly what v1's
devices.allow lines allow, built as runc builds it (libcontainer/cgroups/devices/devicefilter.go).

Written as instructions here because no library does it: libseccomp compiles seccomp's classic BPF only, and
runc too assembles this program itself. The program reads the kernel's struct bpf_cgroup_dev_ctx
{u32 access_type (access << 16 | type); u32 major; u32 minor} and returns 1 (allow) or 0 (deny, the default);
each rule is one block that jumps to the next on any mismatch."""

from __future__ import annotations

import struct

from runtime.cgroups.devicerules import DeviceRule

# linux/bpf.h
DEV_TYPE = {"b": 1, "c": 2}  # BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR
ACCESS = {"m": 1, "r": 2, "w": 4}  # BPF_DEVCG_ACC_MKNOD, _READ, _WRITE
_LDX_W = 0x61  # BPF_LDX | BPF_W | BPF_MEM
_AND32_K = 0x54  # BPF_ALU | BPF_AND | BPF_K
_RSH32_K = 0x74  # BPF_ALU | BPF_RSH | BPF_K
_MOV32_K = 0xB4  # BPF_ALU | BPF_MOV | BPF_K
_MOV32_X = 0xBC  # BPF_ALU | BPF_MOV | BPF_X
_JNE_K = 0x55  # BPF_JMP | BPF_JNE | BPF_K
_JNE_X = 0x5D  # BPF_JMP | BPF_JNE | BPF_X
_EXIT = 0x95  # BPF_JMP | BPF_EXIT
# registers: r1 the context, r2 type, r3 access, r4 major, r5 minor, r0 the verdict
_TYPE, _ACCESS, _MAJOR, _MINOR = 2, 3, 4, 5


def _insn(code: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


def _access_mask(access: str) -> int:
    return sum(ACCESS[c] for c in set(access))


def _block(rule: DeviceRule) -> list[tuple[int, int, int, int]]:
    """The rule's checks as (code, dst, src, imm), each a jump past the block when it fails, then allow."""
    checks: list[tuple[int, int, int, int]] = []
    if rule.type != "a":
        checks.append((_JNE_K, _TYPE, 0, DEV_TYPE[rule.type]))
    if _access_mask(rule.access) != 7:  # the access asked for must be within the rule's
        checks += [(_MOV32_X, 1, _ACCESS, 0), (_AND32_K, 1, 0, _access_mask(rule.access)), (_JNE_X, 1, _ACCESS, 0)]
    if rule.major is not None:
        checks.append((_JNE_K, _MAJOR, 0, rule.major))
    if rule.minor is not None:
        checks.append((_JNE_K, _MINOR, 0, rule.minor))
    return checks


def device_program(rules: tuple[DeviceRule, ...]) -> bytes:
    """The program's instructions (struct bpf_insn[]) for an allow-list."""
    program = [
        _insn(_LDX_W, _TYPE, 1, 0),
        _insn(_AND32_K, _TYPE, imm=0xFFFF),
        _insn(_LDX_W, _ACCESS, 1, 0),
        _insn(_RSH32_K, _ACCESS, imm=16),
        _insn(_LDX_W, _MAJOR, 1, 4),
        _insn(_LDX_W, _MINOR, 1, 8),
    ]
    for rule in rules:
        checks = _block(rule)
        length = len(checks) + 2  # the checks, then r0 = 1 and exit
        for index, (code, dst, src, imm) in enumerate(checks):
            jumps = code in (_JNE_K, _JNE_X)
            program.append(_insn(code, dst, src, off=length - index - 1 if jumps else 0, imm=imm))
        program += [_insn(_MOV32_K, 0, imm=1), _insn(_EXIT)]
        if not checks:  # every device: what follows could never run, and the verifier refuses dead code
            return b"".join(program)
    program += [_insn(_MOV32_K, 0, imm=0), _insn(_EXIT)]
    return b"".join(program)
