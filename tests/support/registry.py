"""Debian's `docker-registry` (Distribution 2.8) of a test's own: its storage, its port, plain HTTP or TLS with a
certificate the test made, htpasswd basic auth or token auth (the registry validates the tokens a test's token
server signs), on loopback or inside a network namespace the test made. Stopped (by its pid) and wiped after."""

import contextlib
import signal
import socket
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.waiting import wait_for

REGISTRY = "/usr/bin/docker-registry"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class TokenAuth:
    realm: str
    service: str
    issuer: str
    root_bundle: Path  # the signing certificates the registry trusts


@dataclass
class Registry:
    root: Path
    port: int
    host: str = "127.0.0.1"
    user: str | None = None
    password: str | None = None
    tls: tuple[Path, Path] | None = None  # certificate, key
    token: TokenAuth | None = None
    wrapper: list[str] = field(default_factory=list)  # e.g. `ip netns exec NAME`

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def skopeo(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["skopeo", *args], capture_output=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"skopeo {' '.join(args)}: {result.stderr.decode()}")
        return result

    def _answers(self) -> bool:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # up is all this asks
        try:
            urllib.request.urlopen(f"{self.scheme}://{self.address}/v2/", timeout=2, context=context)
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
    if registry.token is not None:
        t = registry.token
        auth = (
            f"auth:\n  token:\n    realm: {t.realm}\n    service: {t.service}\n    issuer: {t.issuer}\n"
            f"    rootcertbundle: {t.root_bundle}\n"
        )
    tls = ""
    if registry.tls is not None:
        tls = f"  tls:\n    certificate: {registry.tls[0]}\n    key: {registry.tls[1]}\n"
    return (
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {registry.root / 'storage'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: {registry.address}\n{tls}{auth}"
    )


@contextlib.contextmanager
def running_registry(
    root: Path,
    user: str | None = None,
    password: str | None = None,
    *,
    host: str = "127.0.0.1",
    tls: tuple[Path, Path] | None = None,
    token: TokenAuth | None = None,
    wrapper: tuple[str, ...] = (),
) -> Iterator[Registry]:
    root.mkdir(parents=True, exist_ok=True)
    registry = Registry(root, free_port(), host, user, password, tls, token, list(wrapper))
    (root / "config.yml").write_text(_config(registry))
    log = open(root / "registry.log", "ab")
    command = [*registry.wrapper, REGISTRY, "serve", str(root / "config.yml")]
    process = subprocess.Popen(command, stdout=log, stderr=log)
    try:
        wait_for(registry._answers, 20, what=f"docker-registry on {registry.address}")
        yield registry
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        log.close()
        subprocess.run(["rm", "-rf", str(root)], check=False)
