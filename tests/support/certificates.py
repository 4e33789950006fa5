"""A CA, a server certificate for one IP address and a client certificate, made with openssl for a test's TLS
(etcd's client port in the multi-host tests). Everything lives in the directory given."""

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_tls_files(directory: Path, server_ip: str) -> TlsFiles:
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca = directory / "ca.key", directory / "ca.pem"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=porthole test CA",
             "-keyout", str(ca_key), "-out", str(ca))  # fmt: skip
    made = {}
    for role, extension in (("server", f"subjectAltName=IP:{server_ip}"), ("client", "extendedKeyUsage=clientAuth")):
        key, request, cert = directory / f"{role}.key", directory / f"{role}.csr", directory / f"{role}.pem"
        extfile = directory / f"{role}.ext"
        extfile.write_text(extension + "\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN=porthole test {role}", "-keyout", str(key),
                 "-out", str(request))  # fmt: skip
        _openssl("x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
                 "-days", "2", "-extfile", str(extfile), "-out", str(cert))  # fmt: skip
        made[role] = (cert, key)
    return TlsFiles(ca, made["server"][0], made["server"][1], made["client"][0], made["client"][1])
