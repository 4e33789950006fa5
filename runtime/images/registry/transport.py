"""Talking to one registry: scheme and TLS (tls.py: HTTPS verified against the system CAs plus
`<certs_dir>/<host:port>/*.crt`; loopback and --insecure-registry entries over HTTPS unverified, then plain HTTP,
as Docker does), authentication (anonymous, Basic, and the Bearer token flow of Docker's token spec), retries of
dropped connections. requests does the HTTP; the Distribution rules are written here."""

import base64
import binascii
import ipaddress
import json
import re
from dataclasses import dataclass
from pathlib import Path

import requests

from runtime.errors import Forbidden, HostError, InvalidParameter, NotFound
from runtime.images.registry.tls import ContextAdapter, registry_ssl_context

TIMEOUT = (10, 300)  # connect, read
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
CLIENT_ID = "docker"  # the OAuth2 client_id moby's registry client sends (registry.AuthClientID)


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str = ""
    password: str = ""
    identity_token: str = ""


def parse_registry_auth(header: str | None) -> Credentials:
    """X-Registry-Auth: base64url JSON as the docker CLI and docker-py send it ("e30=" is anonymous)."""
    if not header:
        return Credentials()
    try:
        padded = header + "=" * (-len(header) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error):
        raise InvalidParameter("X-Registry-Auth: not base64url-encoded JSON") from None
    if not isinstance(document, dict):
        return Credentials()
    return Credentials(
        document.get("username") or "", document.get("password") or "", document.get("identitytoken") or ""
    )


def is_insecure(host: str, insecure: tuple[str, ...]) -> bool:
    name = host.rsplit(":", 1)[0].strip("[]")
    if host in insecure or name in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class RegistryError(HostError):
    """The registry answered what the protocol does not allow (5xx, garbage)."""


class Transport:
    def __init__(
        self,
        host: str,
        credentials: Credentials,
        certs_dir: Path,
        insecure: tuple[str, ...],
        *,
        offline_access: bool = False,
    ) -> None:
        """`offline_access`: ask the token server for a refresh token too (`docker login` does, as moby's
        loginV2): it lands in `refresh_token`, and the daemon answers it as the login's IdentityToken."""
        self.host = host
        self._credentials = credentials
        self._offline_access = offline_access
        self.refresh_token = credentials.identity_token
        self._insecure = is_insecure(host, insecure)
        self._session = requests.Session()
        self._session.mount(
            "https://", ContextAdapter(registry_ssl_context(certs_dir, host, verify=not self._insecure))
        )
        self._base: str | None = None
        self._authorization: dict[str, str] = {}  # scope -> Authorization header

    def close(self) -> None:
        self._session.close()

    def base(self) -> str:
        if self._base is None:
            self._base = self._ping()
        return self._base

    def _ping(self) -> str:
        try:
            self._session.get(f"https://{self.host}/v2/", timeout=TIMEOUT)
            return f"https://{self.host}"
        except requests.exceptions.SSLError as error:
            if not self._insecure:
                raise HostError(f"registry {self.host}: TLS: {error}") from None
        except requests.ConnectionError as error:
            if not self._insecure:
                raise HostError(f"registry {self.host}: cannot connect: {error}") from None
        return f"http://{self.host}"

    def request(
        self, method: str, path: str, scope: str, *, ok: tuple[int, ...] = (200,), **kwargs
    ) -> requests.Response:
        """`path` below /v2/ or a full URL (upload locations); authenticates on a 401 and asks again once."""
        url = path if path.startswith("http") else f"{self.base()}/v2/{path}"
        headers = {**kwargs.pop("headers", {}), **self._authorization.get(scope, {})}
        response = self._send(method, url, headers, kwargs)
        if response.status_code == 401:
            self._authorization[scope] = self._authenticate(response, scope)
            headers.update(self._authorization[scope])
            response = self._send(method, url, headers, kwargs)
        if response.status_code in ok:
            return response
        raise self._error(response)

    def _send(self, method: str, url: str, headers: dict, kwargs: dict) -> requests.Response:
        try:
            return self._session.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as error:
            raise HostError(f"registry {self.host}: {method} {url}: {error}") from None

    def _authenticate(self, response: requests.Response, scope: str) -> dict[str, str]:
        challenge = response.headers.get("WWW-Authenticate", "")
        kind = challenge.split(" ", 1)[0].lower()
        user, password = self._credentials.username, self._credentials.password
        if kind == "basic":
            if not user:
                raise Forbidden(f"registry {self.host}: authentication required: no basic auth credentials")
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        if kind == "bearer":
            return {"Authorization": f"Bearer {self._token(dict(_CHALLENGE.findall(challenge)), scope)}"}
        raise Forbidden(f"registry {self.host}: unsupported authentication challenge {challenge!r}")

    def _token(self, challenge: dict[str, str], scope: str) -> str:
        realm = challenge.get("realm")
        if not realm:
            raise RegistryError(f"registry {self.host}: Bearer challenge without a realm")
        service, scopes = challenge.get("service", ""), scope.split()
        try:
            if self.refresh_token:  # an identity token from a login: the OAuth2 refresh-token grant (spec/auth/oauth)
                form = {"grant_type": "refresh_token", "refresh_token": self.refresh_token, "service": service,
                        "scope": " ".join(scopes), "client_id": CLIENT_ID}  # fmt: skip
                answer = self._session.post(realm, data=form, timeout=TIMEOUT)
            else:  # one `scope` parameter per scope, as the token spec asks (a cross-repository mount needs two)
                query: dict = {"service": service, "scope": scopes}
                if self._offline_access:
                    query |= {"offline_token": "true", "client_id": CLIENT_ID}
                user = self._credentials.username
                auth = (user, self._credentials.password) if user else None
                answer = self._session.get(realm, params=query, auth=auth, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise HostError(f"registry {self.host}: token server {realm}: {error}") from None
        if answer.status_code in (400, 401, 403):  # OAuth2 answers a refused grant with 400 invalid_grant
            raise Forbidden(f"registry {self.host}: unauthorized: the token server refused the credentials")
        try:
            document = answer.json()
            self.refresh_token = document.get("refresh_token") or self.refresh_token
            return document.get("token") or document["access_token"]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise RegistryError(f"registry {self.host}: token server {realm} answered no token") from None

    def _error(self, response: requests.Response) -> Exception:
        try:
            errors = response.json().get("errors") or []
            detail = "; ".join(f"{e.get('code', '')}: {e.get('message', '')}" for e in errors)
        except (ValueError, AttributeError):
            detail = response.text[:200]
        where = f"registry {self.host}: {response.request.method} {response.url}"
        if response.status_code == 404:
            return NotFound(f"{where}: not found: {detail}")
        if response.status_code in (401, 403):
            return Forbidden(f"{where}: unauthorized: {detail or 'authentication required'}")
        return RegistryError(f"{where}: status {response.status_code}: {detail}")
