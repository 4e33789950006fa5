"""TLS to a registry as Docker sets it up (moby registry/registry.go newTLSConfig and ReadCertsDirectory):

- a secure registry is verified against the system's CAs (OpenSSL's default paths, Debian's
  /etc/ssl/certs, SSL_CERT_FILE when set) plus every `*.crt` in `<certs_dir>/<host:port>/`, and presents
  `client.cert` with `client.key` (any `*.cert`/`*.key` pair there) when the registry asks for one;
- an insecure one (loopback, --insecure-registry) is reached over HTTPS without verification first, then over
  plain HTTP, since that is what marking it insecure means in Docker.

requests verifies against certifi's bundle by default, not the system's, so the context is ours, handed to
urllib3 through a transport adapter.
"""

import ssl
import warnings
from pathlib import Path

from requests.adapters import HTTPAdapter
from urllib3.exceptions import InsecureRequestWarning

from runtime.errors import InvalidParameter


def registry_ssl_context(certs_dir: Path, host: str, *, verify: bool) -> ssl.SSLContext:
    if not verify:
        # create_default_context's settings without its CAs: reading the system's bundle costs 40 ms of CPU
        # (0.1-0.3 s on a loaded host) for nothing on every pull or push to an insecure registry.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context()  # the system's CAs
    directory = certs_dir / host
    if not directory.is_dir():
        return context
    for ca in sorted(directory.glob("*.crt")):
        context.load_verify_locations(cafile=str(ca))
    for cert in sorted(directory.glob("*.cert")):
        key = cert.with_suffix(".key")
        if not key.is_file():
            raise InvalidParameter(f"registry {host}: certificate {cert} has no matching key {key.name}")
        context.load_cert_chain(str(cert), str(key))
    return context


class ContextAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections use one SSLContext."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["ssl_context"] = self._context
        return super().init_poolmanager(*args, **kwargs)

    def send(self, request, **kwargs):
        if self._context.verify_mode == ssl.CERT_NONE:
            kwargs["verify"] = False  # else requests puts certifi's bundle back on the connection
            with warnings.catch_warnings():
                # the registry was marked insecure on purpose (loopback, --insecure-registry): no warning per call
                warnings.simplefilter("ignore", InsecureRequestWarning)
                return super().send(request, **kwargs)
        return super().send(request, **kwargs)
