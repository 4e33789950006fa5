"""Kernel constants the runtime needs and Python's os module does not carry (uapi headers, x86_64 and aarch64)."""

import platform

CLONE_FS = 0x00000200
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_SLAVE = 1 << 19
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24
MNT_DETACH = 2

# The new mount API (open_tree, move_mount: 5.2; mount_setattr with MOUNT_ATTR_IDMAP: 5.12)
AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000
AT_RECURSIVE = 0x8000
OPEN_TREE_CLONE = 1
MOVE_MOUNT_F_EMPTY_PATH = 0x4
MOUNT_ATTR_IDMAP = 0x00100000

PR_SET_KEEPCAPS = 8
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

SECCOMP_SET_MODE_FILTER = 1
BPF_INSTRUCTION_SIZE = 8  # struct sock_filter: u16 code, u8 jt, u8 jf, u32 k

_SYSCALLS = {
    "x86_64": {"pivot_root": 155, "setns": 308, "capset": 126, "pidfd_getfd": 438, "seccomp": 317},
    "aarch64": {"pivot_root": 41, "setns": 268, "capset": 91, "pidfd_getfd": 438, "seccomp": 277},
}
# Numbered alike on every architecture (the unified table, from 5.1 on)
_COMMON_SYSCALLS = {"open_tree": 428, "move_mount": 429, "mount_setattr": 442}
SYSCALL = {**_SYSCALLS[platform.machine()], **_COMMON_SYSCALLS}

# Docker's default capability set (moby oci/defaults.go): CapEff 00000000a80425fb inside a container.
DEFAULT_CAPABILITIES = {
    "CAP_CHOWN": 0,
    "CAP_DAC_OVERRIDE": 1,
    "CAP_FOWNER": 3,
    "CAP_FSETID": 4,
    "CAP_KILL": 5,
    "CAP_SETGID": 6,
    "CAP_SETUID": 7,
    "CAP_SETPCAP": 8,
    "CAP_NET_BIND_SERVICE": 10,
    "CAP_NET_RAW": 13,
    "CAP_SYS_CHROOT": 18,
    "CAP_MKNOD": 27,
    "CAP_AUDIT_WRITE": 29,
    "CAP_SETFCAP": 31,
}
# The same set as the capability mask the shim's capset() and bounding-set drop take (0xA80425FB).
DEFAULT_CAPABILITY_SET = sum(1 << bit for bit in DEFAULT_CAPABILITIES.values())
