"""bpf(2) for the one use porthole has: load a cgroup device program and attach it to a cgroup v2 directory
(Python has no binding for bpf(2); the attribute layouts are linux/bpf.h's union bpf_attr)."""

import ctypes
import os
import platform
import struct

_libc = ctypes.CDLL("libc.so.6", use_errno=True)
_SYS_BPF = {"x86_64": 321, "aarch64": 280}[platform.machine()]
BPF_PROG_LOAD = 5
BPF_PROG_ATTACH = 8
BPF_PROG_TYPE_CGROUP_DEVICE = 15
BPF_CGROUP_DEVICE = 6
BPF_F_ALLOW_MULTI = 2
_ATTR_SIZE = 128  # zero-padded past the fields we set, as the kernel requires
_LOG_SIZE = 1 << 16


def _bpf(command: int, attr: bytes) -> int:
    buffer = ctypes.create_string_buffer(attr.ljust(_ATTR_SIZE, b"\0"), _ATTR_SIZE)
    return _libc.syscall(_SYS_BPF, command, buffer, _ATTR_SIZE)


def load_device_program(instructions: bytes) -> int:
    """The program's fd; OSError with the verifier's log if the kernel refuses it."""
    insns = ctypes.create_string_buffer(instructions, len(instructions))
    license_ = ctypes.create_string_buffer(b"Apache")
    log = ctypes.create_string_buffer(_LOG_SIZE)
    attr = struct.pack(
        "<IIQQIIQII16sII",
        BPF_PROG_TYPE_CGROUP_DEVICE,
        len(instructions) // 8,
        ctypes.addressof(insns),
        ctypes.addressof(license_),
        1,  # log_level: the verifier says why, if it refuses
        _LOG_SIZE,
        ctypes.addressof(log),
        0,
        0,
        b"porthole_dev",
        0,
        BPF_CGROUP_DEVICE,
    )
    fd = _bpf(BPF_PROG_LOAD, attr)
    if fd == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"bpf prog load: {os.strerror(err)}: {log.value.decode(errors='replace')[-500:]}")
    return fd


def attach_device_program(cgroup_dir: str, program_fd: int) -> None:
    """Attached for the cgroup's life (the kernel holds the program); other programs of its parents stay."""
    cgroup_fd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        attr = struct.pack("<IIII", cgroup_fd, program_fd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI)
        if _bpf(BPF_PROG_ATTACH, attr) == -1:
            err = ctypes.get_errno()
            raise OSError(err, f"bpf prog attach: {os.strerror(err)}", cgroup_dir)
    finally:
        os.close(cgroup_fd)
