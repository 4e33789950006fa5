"""A remap user for --userns-remap, made for a test or a benchmark and taken away after: a system user with one
range in /etc/subuid and /etc/subgid, the files left as found (useradd may make them empty: gone again if they
were not there), and so are the backups (`/etc/passwd-` ...) that useradd and userdel write beside them."""

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

SUBUID, SUBGID = Path("/etc/subuid"), Path("/etc/subgid")
# shadow's tools keep the file as it was before each change here: after userdel they would hold the test's user
BACKUPS = tuple(Path(f"/etc/{name}-") for name in ("passwd", "group", "shadow", "gshadow", "subuid", "subgid"))
FIRST, COUNT = 3_100_000, 65536  # far above any range a system hands out, so no other user's


@contextlib.contextmanager
def remap_user(prefix: str = "phur") -> Iterator[str]:
    name = f"{prefix}{os.getpid() % 100000}"
    line = f"{name}:{FIRST}:{COUNT}\n"
    existed = {path: path.exists() for path in (SUBUID, SUBGID)}
    with account_backups_kept():
        subprocess.run(["useradd", "-r", "-s", "/bin/false", name], check=True)
        try:
            for path in existed:
                with open(path, "a") as f:
                    f.write(line)
            yield name
        finally:
            subprocess.run(["userdel", name], check=False)
            for path, was_there in existed.items():
                kept = path.read_text().splitlines(keepends=True) if path.exists() else []
                rest = "".join(x for x in kept if x != line)
                if was_there:
                    path.write_text(rest)
                elif path.exists() and not rest:
                    path.unlink()


@contextlib.contextmanager
def account_backups_kept() -> Iterator[None]:
    """The backups shadow's tools write beside the account files (/etc/passwd- ...) as they were before the block,
    whatever users it adds and removes."""
    backups = {path: path.read_bytes() if path.exists() else None for path in BACKUPS}
    try:
        yield
    finally:
        for path, content in backups.items():
            if content is not None:
                path.write_bytes(content)  # in place: the mode and owner stay the file's
            else:
                path.unlink(missing_ok=True)
