"""A remap user for --userns-remap, made for a test or a benchmark and taken away after: a system user with one
range in /etc/subuid and /etc/subgid, the files left as found (useradd may make them empty: gone again if they
were not there)."""

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

SUBUID, SUBGID = Path("/etc/subuid"), Path("/etc/subgid")
FIRST, COUNT = 3_100_000, 65536  # far above any range a system hands out, so no other user's


@contextlib.contextmanager
def remap_user(prefix: str = "phur") -> Iterator[str]:
    name = f"{prefix}{os.getpid() % 100000}"
    line = f"{name}:{FIRST}:{COUNT}\n"
    existed = {path: path.exists() for path in (SUBUID, SUBGID)}
    subprocess.run(["useradd", "-r", "-s", "/bin/false", name], check=True)
    try:
        for path in existed:
            with open(path, "a") as f:
                f.write(line)
        yield name
    finally:
        subprocess.run(["userdel", name], check=False)
        for path, was_there in existed.items():
            rest = "".join(x for x in path.read_text().splitlines(keepends=True) if x != line) if path.exists() else ""
            if was_there:
                path.write_text(rest)
            elif path.exists() and not rest:
                path.unlink()
