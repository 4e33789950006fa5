"""Registries over TLS and with token authentication, against Debian's docker-registry:

- TLS on an address that is not loopback (inside a network namespace the test made, so Docker's rules make it a
  secure registry), with a CA the test made: trusted through `<certs-dir>/<host:port>/ca.crt` as Docker reads
  it, refused without it, trusted through the system's CAs (SSL_CERT_FILE) without it; on loopback (insecure by
  Docker's rules), reached over HTTPS unverified;
- the bearer-token flow with a token server written from Docker's token specification, whose tokens the
  registry itself validates (`auth.token` with the test's signing certificate): docker login, push, pull,
  anonymous access refused, a cross-repository mount asking for both repositories' scopes; the OAuth2 side:
  `docker login` answered with an IdentityToken (the token server's refresh token) that the CLI keeps and later
  pushes and pulls trade for access tokens.
"""

import base64
import contextlib
import json
import subprocess
from pathlib import Path

import pytest

from tests.support.daemon import TestDaemon, running
from tests.support.netns import namespace_with_veth
from tests.support.pki import self_signed, server_certificate
from tests.support.registry import TokenAuth, running_registry
from tests.support.tokenserver import TokenServer

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def ca():
    return self_signed("porthole test CA", ca=True)


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory, ca):
    keys = tmp_path_factory.mktemp("tls-keys")
    with namespace_with_veth() as ns:
        server_certificate(ca, ns.address).write(keys / "server.crt", keys / "server.key")
        root = tmp_path_factory.mktemp("tls-registry")
        with running_registry(
            root, host=ns.address, tls=(keys / "server.crt", keys / "server.key"), wrapper=tuple(ns.command())
        ) as registry:
            yield registry


@pytest.fixture(scope="module")
def certs_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("certs.d")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, busybox_rootfs, certs_dir):
    """A daemon reading registry CAs from the test's certs directory."""
    root = tmp_path_factory.mktemp("porthole-certs")
    with running(TestDaemon(root, extra_args=("--registry-certs-dir", str(certs_dir))), busybox_rootfs) as d:
        yield d


@pytest.fixture
def ph(daemon):
    yield daemon
    daemon.remove_everything()


def build(ph, tmp_path: Path, name: str) -> None:
    # the name in the step: no test reuses another's cached layer (and so its blobs in the registry)
    (tmp_path / "Dockerfile").write_text(
        f"FROM busybox\nRUN echo payload > /payload && echo {name} > /name && head -c 100000 /dev/urandom > /r\n"
    )
    ph.docker("build", "-q", "-t", name, str(tmp_path), check=True, timeout=120)


def build_push_pull(ph, tmp_path: Path, name: str) -> None:
    """Build `name` in a context of its own under tmp_path, push it, remove it, pull it back."""
    context = tmp_path / "context"
    context.mkdir()
    build(ph, context, name)
    ph.docker("push", name, check=True)
    ph.docker("rmi", name, check=True)
    ph.docker("pull", name, check=True)


def docker_with_config(ph, config: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", "--config", str(config), "-H", ph.host, *args], input=stdin, capture_output=True, timeout=120
    )


# --- TLS ------------------------------------------------------------------------------------------------------


def test_tls_registry_trusted_through_certs_d(ph, tls_registry, ca, certs_dir, tmp_path):
    name = f"{tls_registry.address}/tls/app:1"
    build(ph, tmp_path, name)
    refused = ph.docker("push", name)
    assert refused.returncode != 0 and "certificate verify failed" in refused.stderr.decode()
    host_dir = certs_dir / tls_registry.address
    host_dir.mkdir(exist_ok=True)
    (host_dir / "ca.crt").write_bytes(ca.certificate_pem())
    try:
        pushed = ph.docker("push", name, check=True).stdout.decode()
        digest = pushed.split("digest: ")[1].split()[0]
        raw = tls_registry.skopeo("inspect", "--cert-dir", str(host_dir), "--raw", f"docker://{name}").stdout
        assert json.loads(raw)["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
        ph.docker("rmi", name, check=True)
        pulled = ph.docker("pull", name, check=True).stdout.decode()
        assert f"Digest: {digest}" in pulled
        assert ph.docker("run", "--rm", name, "cat", "/payload", check=True).stdout == b"payload\n"
    finally:
        (host_dir / "ca.crt").unlink()
    again = ph.docker("pull", name)  # the CA is gone: verification fails again, nothing falls back to HTTP
    assert again.returncode != 0 and "certificate verify failed" in again.stderr.decode()


def test_tls_registry_trusted_through_the_system_cas(tls_registry, ca, tmp_path, busybox_rootfs):
    bundle = tmp_path / "system-bundle.pem"
    bundle.write_bytes(ca.certificate_pem())
    empty_certs = tmp_path / "no-certs.d"
    empty_certs.mkdir()
    daemon = TestDaemon(
        tmp_path / "porthole", extra_args=("--registry-certs-dir", str(empty_certs)), env={"SSL_CERT_FILE": str(bundle)}
    )
    with running(daemon, busybox_rootfs) as d:
        build_push_pull(d, tmp_path, f"{tls_registry.address}/system/app:1")


def test_an_insecure_tls_registry_is_reached_over_https_unverified(ph, ca, tmp_path):
    # Loopback is insecure by Docker's rules: HTTPS is tried first, without verification (no CA anywhere trusts
    # this certificate), and the registry speaks nothing but TLS, so the pull cannot have fallen back to HTTP.
    keys = tmp_path / "keys"
    keys.mkdir()
    server_certificate(ca, "127.0.0.1").write(keys / "server.crt", keys / "server.key")
    with running_registry(tmp_path / "registry", tls=(keys / "server.crt", keys / "server.key")) as registry:
        name = f"{registry.address}/insecure/app:1"
        build_push_pull(ph, tmp_path, name)
        assert ph.docker("run", "--rm", name, "cat", "/payload", check=True).stdout == b"payload\n"


# --- token authentication -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory):
    signer = self_signed("porthole test token signer", ca=False)
    keys = tmp_path_factory.mktemp("token-keys")
    (keys / "bundle.pem").write_bytes(signer.certificate_pem())
    server = TokenServer(
        signer, issuer="porthole-test-issuer", service="porthole-test-registry", accounts={"bob": "pw"}
    )
    server.start()
    try:
        auth = TokenAuth(server.realm, server.service, server.issuer, keys / "bundle.pem")
        with running_registry(tmp_path_factory.mktemp("token-registry"), token=auth) as registry:
            registry.tokens = server  # type: ignore[attr-defined]
            yield registry
    finally:
        server.stop()


def test_token_flow_login_push_pull(ph, token_registry, tmp_path):
    tokens: TokenServer = token_registry.tokens
    name = f"{token_registry.address}/token/app:1"
    build(ph, tmp_path, name)
    config = tmp_path / "docker-config"
    config.mkdir()
    anonymous = docker_with_config(ph, config, "push", name)
    assert anonymous.returncode != 0 and "unauthorized" in anonymous.stderr.decode().lower()
    wrong = docker_with_config(
        ph, config, "login", "-u", "bob", "--password-stdin", token_registry.address, stdin=b"no\n"
    )
    assert wrong.returncode != 0 and "unauthorized" in wrong.stderr.decode().lower()
    login = docker_with_config(
        ph, config, "login", "-u", "bob", "--password-stdin", token_registry.address, stdin=b"pw\n"
    )
    assert login.returncode == 0 and b"Login Succeeded" in login.stdout, login.stderr.decode()
    pushed = docker_with_config(ph, config, "push", name)
    assert pushed.returncode == 0, pushed.stderr.decode()
    assert {"account": "bob", "scopes": ["repository:token/app:pull,push"]} in tokens.requests
    ph.docker("rmi", name, check=True)
    denied = ph.docker("pull", name)  # no credentials: the token grants nothing and the registry refuses
    assert denied.returncode != 0 and "unauthorized" in denied.stderr.decode().lower()
    pulled = docker_with_config(ph, config, "pull", name)
    assert pulled.returncode == 0, pulled.stderr.decode()
    assert {"account": "bob", "scopes": ["repository:token/app:pull"]} in tokens.requests
    docker_with_config(ph, config, "logout", token_registry.address)


def test_token_flow_cross_repository_mount(ph, token_registry, tmp_path):
    tokens: TokenServer = token_registry.tokens
    first, second = f"{token_registry.address}/token/first:1", f"{token_registry.address}/token/second:1"
    build(ph, tmp_path, first)
    config = tmp_path / "docker-config"
    config.mkdir()
    docker_with_config(ph, config, "login", "-u", "bob", "--password-stdin", token_registry.address, stdin=b"pw\n")
    assert docker_with_config(ph, config, "push", first).returncode == 0
    ph.docker("tag", first, second, check=True)
    pushed = docker_with_config(ph, config, "push", second)
    assert pushed.returncode == 0, pushed.stderr.decode()
    assert "Mounted from token/first" in pushed.stdout.decode()
    both = ["repository:token/second:pull,push", "repository:token/first:pull"]
    assert {"account": "bob", "scopes": both} in tokens.requests  # one token for both repositories, as the spec asks


def test_login_answers_an_identity_token_that_pushes_and_pulls_then_use(ph, token_registry, tmp_path):
    tokens: TokenServer = token_registry.tokens
    name = f"{token_registry.address}/token/identity:1"
    build(ph, tmp_path, name)
    with contextlib.closing(ph.client()) as client:
        answer = client.login("bob", "pw", registry=token_registry.address, reauth=True)
    assert answer["Status"] == "Login Succeeded" and answer["IdentityToken"]
    config = tmp_path / "docker-config"
    config.mkdir()
    login = docker_with_config(
        ph, config, "login", "-u", "bob", "--password-stdin", token_registry.address, stdin=b"pw\n"
    )
    assert login.returncode == 0, login.stderr.decode()
    stored = json.loads((config / "config.json").read_text())["auths"][token_registry.address]
    assert stored["identitytoken"] and "pw" not in base64.b64decode(stored["auth"]).decode()  # the CLI keeps the token
    grants = len(tokens.grants)
    pushed = docker_with_config(ph, config, "push", name)
    assert pushed.returncode == 0, pushed.stderr.decode()
    ph.docker("rmi", name, check=True)
    pulled = docker_with_config(ph, config, "pull", name)
    assert pulled.returncode == 0, pulled.stderr.decode()
    assert tokens.grants[grants:] and set(tokens.grants[grants:]) == {"refresh_token"}
    bogus = {"username": "bob", "identitytoken": "not-a-refresh-token"}
    with contextlib.closing(ph.client()) as client:
        messages = list(client.api.pull(name, auth_config=bogus, stream=True, decode=True))
    assert "unauthorized" in messages[-1].get("error", "")
