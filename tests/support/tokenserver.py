"""A token server written from Docker's token authentication specification (distribution docs, spec/auth/token
and spec/auth/jwt), for the registry's `auth.token` configuration. It is a stand-in only because no token
server can be installed here; the real docker-registry validates what it issues.

What it enforces, as the spec says: GET <realm>?service=<service>&scope=<scope>[&scope=...]; the service must be
the one it serves (400 otherwise); credentials come as HTTP Basic, and wrong ones get 401; each scope is
`repository:<name>:<action>[,<action>]` and the token grants only the actions the account may do (an anonymous
caller gets no access at all); the answer is `{"token", "access_token", "expires_in", "issued_at"}` with a JWT
signed RS256 whose `x5c` header carries the signing certificate (the registry checks it against its
`rootcertbundle`) and whose claims are iss, sub, aud, exp, nbf, iat, jti and `access`.
"""

import base64
import datetime
import http.server
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.support.pki import KeyPair

LIFETIME = 300


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenServer:
    signer: KeyPair
    issuer: str
    service: str
    accounts: dict[str, str]  # name -> password; every known account may pull and push everywhere
    requests: list[dict] = field(default_factory=list)  # what was asked: account, scopes (for the tests)
    _server: http.server.ThreadingHTTPServer | None = None

    @property
    def realm(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/token"

    def start(self) -> None:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                status, body = owner.answer(self.path, self.headers.get("Authorization"))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                return None

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="token-server", daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, path: str, authorization: str | None) -> tuple[int, dict]:
        url = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(url.query)
        if url.path != "/token":
            return 404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]}
        if query.get("service") != [self.service]:
            return 400, {"errors": [{"code": "UNSUPPORTED", "message": f"service must be {self.service}"}]}
        account = ""
        if authorization:
            kind, _, credentials = authorization.partition(" ")
            name, _, password = (
                base64.b64decode(credentials).decode().partition(":") if kind == "Basic" else ("", "", "")
            )
            if kind != "Basic" or self.accounts.get(name) != password:
                return 401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid credentials"}]}
            account = name
        scopes = query.get("scope", [])
        self.requests.append({"account": account, "scopes": scopes})
        access = [self._grant(scope) for scope in scopes] if account else []
        token = self._token(account, [a for a in access if a is not None])
        issued = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return 200, {"token": token, "access_token": token, "expires_in": LIFETIME, "issued_at": issued}

    @staticmethod
    def _grant(scope: str) -> dict | None:
        parts = scope.split(":")
        if len(parts) < 3 or parts[0] != "repository":
            return None
        name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
        return {"type": "repository", "name": name, "actions": [a for a in actions if a in ("pull", "push")]}

    def _token(self, subject: str, access: list[dict]) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self.signer.certificate_der()).decode()]}
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + LIFETIME,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": access,
        }
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self.signer.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"
