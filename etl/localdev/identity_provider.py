"""A local OpenID Connect issuer on loopback, for local runs, the API's tests and its benchmark.

It plays the workforce identity provider: an RSA key made at start, its public half served as a JWKS at
``/jwks.json`` and announced by ``/.well-known/openid-configuration``, and signed access tokens (RFC 9068
shape: ``iss``, ``sub``, ``aud``, ``exp``, ``iat``, ``scope``) on request. It only issues: the analytics
service verifies the tokens exactly as it verifies the real provider's, fetching this JWKS over HTTP.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/jwks.json"
DEFAULT_AUDIENCE = "northwind-analytics-local"


def new_signing_key() -> rsa.RSAPrivateKey:
    """A fresh 2048-bit RSA key, as identity providers sign with."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class _IssuerHandler(BaseHTTPRequestHandler):
    server: _IssuerHTTPServer

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: the JWKS is fetched on every key refresh, which is not news."""

    def do_GET(self) -> None:
        documents = {DISCOVERY_PATH: self.server.discovery, JWKS_PATH: self.server.jwks}
        if self.path not in documents:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        self.server.requests[self.path] = self.server.requests.get(self.path, 0) + 1
        payload = json.dumps(documents[self.path]).encode("utf-8")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _IssuerHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _IssuerHandler)
        self.discovery: dict[str, Any] = {}
        self.jwks: dict[str, Any] = {"keys": []}
        self.requests: dict[str, int] = {}


@dataclass
class LocalIdentityProvider:
    """The issuer on a free loopback port in a background thread; use it as a context manager.

    ``audience`` (default ``northwind-analytics-local``) is the ``aud`` its tokens carry unless told otherwise.
    """

    audience: str = DEFAULT_AUDIENCE
    signing_key: rsa.RSAPrivateKey = field(default_factory=new_signing_key)
    key_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    def __post_init__(self) -> None:
        self._server = _IssuerHTTPServer()
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-issuer", daemon=True)
        self.publish(self.signing_key, self.key_id)
        self._server.discovery = {
            "issuer": self.issuer,
            "jwks_uri": self.jwks_url,
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    @property
    def issuer(self) -> str:
        """``http://127.0.0.1:<port>``: the ``iss`` of its tokens."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def jwks_url(self) -> str:
        """Where the public keys are served."""
        return f"{self.issuer}{JWKS_PATH}"

    @property
    def discovery_url(self) -> str:
        """The OpenID Connect discovery document."""
        return f"{self.issuer}{DISCOVERY_PATH}"

    def jwks_requests(self) -> int:
        """How many times the JWKS has been fetched (a verifier should cache it)."""
        return self._server.requests.get(JWKS_PATH, 0)

    def publish(self, key: rsa.RSAPrivateKey, key_id: str) -> None:
        """Serve ``key``'s public half as the only key of the JWKS (a key rotation, when called again)."""
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        self._server.jwks = {"keys": [{**jwk, "kid": key_id, "use": "sig", "alg": "RS256"}]}
        self.signing_key, self.key_id = key, key_id

    def token(
        self,
        scopes: Iterable[str] = (),
        *,
        subject: str = "local-analyst",
        lifetime_seconds: int = 600,
        audience: str | None = None,
        issuer: str | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        """A signed access token for ``scopes``; the keyword arguments make the wrong ones tests need."""
        now = int(time.time())
        claims = {
            "iss": issuer or self.issuer,
            "sub": subject,
            "aud": audience or self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_seconds,
            "jti": uuid.uuid4().hex,
            "scope": " ".join(scopes),
            **(extra_claims or {}),
        }
        headers = {"kid": self.key_id, "typ": "at+jwt"}
        return jwt.encode(claims, signing_key or self.signing_key, algorithm="RS256", headers=headers)

    def __enter__(self) -> LocalIdentityProvider:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
