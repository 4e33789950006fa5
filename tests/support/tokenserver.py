"""A token server written from Docker's token authentication specification (distribution docs, spec/auth/token
and spec/auth/jwt), for the registry's `auth.token` configuration. It is a stand-in only because no token
server can be installed here; the real docker-registry validates what it issues.

What it enforces, as the spec says: GET <realm>?service=<service>&scope=<scope>[&scope=...]; the service must be
the one it serves (400 otherwise); credentials come as HTTP Basic, and wrong ones get 401; each scope is
`repository:<name>:<action>[,<action>]` and the token grants only the actions the account may do (an anonymous
caller gets no access at all); the answer is `{"token", "access_token", "expires_in", "issued_at"}` with a JWT
signed RS256 whose `x5c` header carries the signing certificate (the registry checks it against its
`rootcertbundle`) and whose claims are iss, sub, aud, exp, nbf, iat, jti and `access`.

And the OAuth2 side (spec/auth/oauth, what `docker login` gets its identity token from): a GET with
`offline_token=true&client_id=...` and good credentials also answers a `refresh_token`; POST <realm> with a form
(`grant_type=refresh_token` + `refresh_token`, or `grant_type=password` + `username`/`password`; `service`,
`client_id` and a space-separated `scope` always) answers `{"access_token", "expires_in", "issued_at", "scope"}`
(and a `refresh_token` for a password grant with `access_type=offline`); an unknown refresh token gets 400
`invalid_grant`. `grants` lists the grant type of each POST.
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
    grants: list[str] = field(default_factory=list)  # the OAuth2 grant_type of each POST
    _refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> account
    _server: http.server.ThreadingHTTPServer | None = None

    @property
    def realm(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/token"

    def start(self) -> None:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                self._reply(*owner.answer(self.path, self.headers.get("Authorization")))

            def do_POST(self):  # noqa: N802 - http.server's name
                form = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                self._reply(*owner.answer_oauth(self.path, urllib.parse.parse_qs(form)))

            def _reply(self, status: int, body: dict) -> None:
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
        token, body = self._issue(account, query.get("scope", []))
        body["token"] = token
        if account and query.get("offline_token") == ["true"] and query.get("client_id"):
            body["refresh_token"] = self._refresh_token(account)
        return 200, body

    def answer_oauth(self, path: str, form: dict[str, list[str]]) -> tuple[int, dict]:
        if urllib.parse.urlsplit(path).path != "/token":
            return 404, {"errors": [{"code": "NOT_FOUND", "message": path}]}
        form_values = {name: values[0] for name, values in form.items()}
        if form_values.get("service") != self.service or not form_values.get("client_id"):
            return 400, {"error": "invalid_request", "error_description": "service and client_id are required"}
        grant = form_values.get("grant_type", "")
        self.grants.append(grant)
        if grant == "refresh_token":
            account = self._refresh_tokens.get(form_values.get("refresh_token", ""))
        elif grant == "password":
            known = self.accounts.get(form_values.get("username", ""))
            account = form_values["username"] if known is not None and known == form_values.get("password") else None
        else:
            return 400, {"error": "unsupported_grant_type", "error_description": grant}
        if account is None:
            return 400, {"error": "invalid_grant", "error_description": "unknown refresh token or credentials"}
        scopes = form_values.get("scope", "").split()
        _, body = self._issue(account, scopes)
        body["scope"] = " ".join(scopes)
        if grant == "password" and form_values.get("access_type") == "offline":
            body["refresh_token"] = self._refresh_token(account)
        return 200, body

    def _issue(self, account: str, scopes: list[str]) -> tuple[str, dict]:
        self.requests.append({"account": account, "scopes": scopes})
        access = [self._grant(scope) for scope in scopes] if account else []
        token = self._token(account, [a for a in access if a is not None])
        issued = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return token, {"access_token": token, "expires_in": LIFETIME, "issued_at": issued}

    def _refresh_token(self, account: str) -> str:
        token = secrets.token_urlsafe(32)
        self._refresh_tokens[token] = account
        return token

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
