"""A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl, as the
README's TLS set-up makes them (docs.docker.com "Protect the Docker daemon socket")."""

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Certificates:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_client_cert: Path  # signed by another CA
    other_client_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _ca(d: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
             "-keyout", f"{name}-key.pem", "-out", f"{name}.pem", cwd=d)  # fmt: skip


def _signed(d: Path, name: str, ca: str, extensions: str) -> None:
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}-key.pem",
             "-out", f"{name}.csr", cwd=d)  # fmt: skip
    (d / f"{name}.ext").write_text(extensions)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}-key.pem",
             "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}-cert.pem", cwd=d)  # fmt: skip


def make_certificates(d: Path) -> Certificates:
    _ca(d, "ca")
    _ca(d, "other-ca")
    _signed(d, "server", "ca", "subjectAltName = IP:127.0.0.1,DNS:localhost\nextendedKeyUsage = serverAuth\n")
    _signed(d, "client", "ca", "extendedKeyUsage = clientAuth\n")
    _signed(d, "stranger", "other-ca", "extendedKeyUsage = clientAuth\n")
    return Certificates(
        d / "ca.pem",
        d / "server-cert.pem",
        d / "server-key.pem",
        d / "client-cert.pem",
        d / "client-key.pem",
        d / "stranger-cert.pem",
        d / "stranger-key.pem",
    )
