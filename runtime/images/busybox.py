"""A busybox root filesystem tar built from the host's static busybox (Debian's busybox-static).

It gives porthole a base image without a registry, with the CMD of Docker's busybox (a rootfs tar carries no
config, so the import gives it): `porthole busybox-rootfs | porthole import -c 'CMD ["sh"]' - busybox:latest`.
The tar is deterministic (sorted entries, fixed mtimes, numeric owners), so the same busybox binary always
yields the same layer diff_id. Users and groups follow the official busybox image's /etc files.
"""

import io
import subprocess
import tarfile
from pathlib import Path
from typing import BinaryIO

from runtime.errors import NotFound

BUSYBOX_CANDIDATES = (Path("/bin/busybox"), Path("/usr/bin/busybox"))
FIXED_MTIME = 946684800  # 2000-01-01T00:00:00Z: any constant keeps the tar reproducible

PASSWD = """\
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
"""

GROUP = """\
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
nobody:x:65534:
"""

# Directories of the rootfs and their modes; /etc/hosts, hostname and resolv.conf are bind-mounted by the
# runtime, so they are not here.
DIRECTORIES = (
    ("bin", 0o755),
    ("dev", 0o755),
    ("etc", 0o755),
    ("home", 0o755),
    ("proc", 0o555),
    ("root", 0o700),
    ("sbin", 0o755),
    ("sys", 0o555),
    ("tmp", 0o1777),
    ("usr", 0o755),
    ("usr/bin", 0o755),
    ("usr/sbin", 0o755),
    ("var", 0o755),
    ("var/spool", 0o755),
    ("var/spool/mail", 0o755),
    ("var/www", 0o755),
)


def find_busybox() -> Path:
    for candidate in BUSYBOX_CANDIDATES:
        if candidate.is_file():
            return candidate
    raise NotFound("images: busybox: binary not found in /bin or /usr/bin: install Debian's busybox-static")


def applet_paths(busybox: Path) -> list[str]:
    """Install paths of every applet (`bin/sh`, `usr/bin/env`, ...), from `busybox --list-full`."""
    listing = subprocess.run([str(busybox), "--list-full"], capture_output=True, text=True, check=True).stdout
    return sorted({line.strip().lstrip("/") for line in listing.splitlines() if line.strip()} - {"bin/busybox"})


def _entry(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = kind, mode, FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_busybox_rootfs(out: BinaryIO, busybox: Path | None = None) -> None:
    """Write the rootfs tar (uncompressed) to `out`."""
    binary = busybox or find_busybox()
    applets = applet_paths(binary)
    directories = dict(DIRECTORIES)
    for applet in applets:
        parent = applet.rpartition("/")[0]
        if parent:
            directories.setdefault(parent, 0o755)
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.USTAR_FORMAT) as tar:  # type: ignore[call-overload]
        for name in sorted(directories):
            tar.addfile(_entry(name, tarfile.DIRTYPE, directories[name]))
        program = _entry("bin/busybox", tarfile.REGTYPE, 0o755)
        program.size = binary.stat().st_size
        with open(binary, "rb") as content:
            tar.addfile(program, content)
        for applet in applets:
            link = _entry(applet, tarfile.SYMTYPE, 0o777)
            link.linkname = "/bin/busybox"
            tar.addfile(link)
        for name, text, mode in (("etc/passwd", PASSWD, 0o644), ("etc/group", GROUP, 0o644)):
            data = text.encode()
            info = _entry(name, tarfile.REGTYPE, mode)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
