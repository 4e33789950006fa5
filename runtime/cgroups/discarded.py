"""Docker's warnings for limits the host cannot apply (daemon_unix.go verifyPlatformContainerResources).

The managers' set() returns these, word for word, when a controller file is missing; the limit is
dropped and the container runs, as with Docker (clients show the texts from the create response).
"""

MEMORY = "Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded."
SWAP = "Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap."
MEMORY_RESERVATION = (
    "Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded."
)
OOM_KILL_DISABLE = "Your kernel does not support OomKillDisable. OomKillDisable discarded."
PIDS = "Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded."
CPU_SHARES = "Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded."
CPU_CFS = "Your kernel does not support CPU CFS scheduler. CPU period/quota discarded."
CPUSET = "Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded."
BLKIO_WEIGHT = "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."
READ_BPS = (
    "Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. "
    "Block I/O BPS read limit discarded."
)
WRITE_BPS = (
    "Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. "
    "Block I/O BPS write limit discarded."
)
READ_IOPS = (
    "Your kernel does not support IOPS Block read limit or the cgroup is not mounted. "
    "Block I/O IOPS read limit discarded."
)
WRITE_IOPS = (
    "Your kernel does not support IOPS Block write limit or the cgroup is not mounted. "
    "Block I/O IOPS write limit discarded."
)
