"""Debian's `docker-registry` (Distribution 2.8) of a test's own on loopback: its storage, its port, plain
HTTP or htpasswd basic auth; stopped (by its pid) and wiped after."""

import contextlib
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.waiting import wait_for

REGISTRY = "/usr/bin/docker-registry"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Registry:
    root: Path
    port: int
    user: str | None = None
    password: str | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def skopeo(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["skopeo", *args], capture_output=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"skopeo {' '.join(args)}: {result.stderr.decode()}")
        return result

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(f"http://{self.address}/v2/", timeout=2)
        except urllib.error.HTTPError as error:
            return error.code == 401  # up, and asking for credentials
        except OSError:
            return False
        return True


def _config(registry: Registry) -> str:
    auth = ""
    if registry.user is not None:
        htpasswd = registry.root / "htpasswd"
        line = subprocess.run(
            ["htpasswd", "-Bbn", registry.user, registry.password or ""], capture_output=True, check=True, text=True
        ).stdout.strip()
        htpasswd.write_text(line + "\n")
        auth = f"auth:\n  htpasswd:\n    realm: test-realm\n    path: {htpasswd}\n"
    return (
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {registry.root / 'storage'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: {registry.address}\n{auth}"
    )


@contextlib.contextmanager
def running_registry(root: Path, user: str | None = None, password: str | None = None) -> Iterator[Registry]:
    root.mkdir(parents=True, exist_ok=True)
    registry = Registry(root, free_port(), user, password)
    (root / "config.yml").write_text(_config(registry))
    log = open(root / "registry.log", "ab")
    process = subprocess.Popen([REGISTRY, "serve", str(root / "config.yml")], stdout=log, stderr=log)
    try:
        wait_for(registry._answers, 20, what=f"docker-registry on {registry.address}")
        yield registry
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        log.close()
        subprocess.run(["rm", "-rf", str(root)], check=False)
