"""Who is calling: OAuth 2.0 access tokens (JWT) from the workforce identity provider, verified here.

A request carries ``Authorization: Bearer <token>``. The token must be signed by a key in the provider's
JWKS with an accepted asymmetric algorithm, name this service as its audience and the provider as its issuer,
and be within its lifetime. Its scopes (``scope``/``scp``) and roles (``roles``) are the caller's permissions;
each route names the one it requires (docs/adr/0085-analytics-api-callers-authenticated-with-oidc-tokens.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
from fastapi import Depends
from fastapi.security import OpenIdConnect, SecurityScopes

from northwind_analytics.errors import Forbidden, ServiceUnavailable, Unauthenticated
from northwind_analytics.settings import ServiceSettings

log = logging.getLogger("northwind_analytics.auth")

REALM = "northwind-analytics"
LEEWAY_SECONDS = 30
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "sub")
MAX_TOKEN_BYTES = 8192


class Permission(StrEnum):
    """The scopes (or app roles) the identity provider grants, one per kind of data."""

    ANALYTICS = "analytics.read"  # aggregates: sales, funnel, market indicators
    CUSTOMERS = "customers.read"  # customer-level values (pseudonymized customers)
    VALUATIONS = "valuations.read"  # vehicle valuations per (pseudonymized) plate


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the token's subject and what it may read."""

    subject: str
    permissions: frozenset[str]
    expires_at: float


class SigningKeys:
    """The provider's public keys (its JWKS), cached and refreshed off the event loop.

    Keys are refetched every ``refresh_seconds`` (default 300), or when a token names a key id not seen yet
    (a rotation), at most once per ``min_refetch_seconds`` (default 30) so unknown ids cannot flood the
    provider. When a refresh fails the keys already known stay in use and the failure is logged once.
    """

    def __init__(
        self,
        jwks_url: str,
        refresh_seconds: float = 300,
        min_refetch_seconds: float = 30,
        timeout_seconds: float = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = jwt.PyJWKClient(jwks_url, cache_jwk_set=False, cache_keys=False, timeout=timeout_seconds)
        self._refresh_seconds, self._min_refetch_seconds, self._clock = refresh_seconds, min_refetch_seconds, clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._failing = False
        self._lock = asyncio.Lock()

    def _stale(self, kid: str) -> bool:
        if self._fetched_at is None:
            return True
        age = self._clock() - self._fetched_at
        return age > self._refresh_seconds or (kid not in self._keys and age > self._min_refetch_seconds)

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key with id ``kid``, or None when the provider publishes no such key; 503 while no key could be
        fetched at all (the provider unreachable since start: no token can be judged, none is refused)."""
        if self._stale(kid):
            async with self._lock:
                if self._stale(kid):
                    await self._refresh()
        if not self._keys and self._failing:
            raise ServiceUnavailable(
                "the identity provider's keys cannot be fetched, so no token can be verified; retry shortly",
                {"Retry-After": str(int(self._min_refetch_seconds))},
            )
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        try:
            keys = await asyncio.to_thread(self._client.get_signing_keys)
        except jwt.PyJWKClientError as error:
            if not self._failing:
                log.error(
                    "identity provider keys could not be fetched (%s); keeping %d known key(s)", error, len(self._keys)
                )
            self._failing = True
        else:
            if self._failing:
                log.warning("identity provider keys fetched again (%d key(s))", len(keys))
            self._failing = False
            self._keys = {key.key_id: key for key in keys if key.key_id}
        # Also after a failure, so a provider outage is retried at the refetch pace, not on every request.
        self._fetched_at = self._clock()


class TokenVerifier:
    """Turns a bearer token into a ``Caller``, or raises ``Unauthenticated`` saying why.

    Verified tokens are remembered until they expire (at most ``cache_size`` of them, default 4096), so a
    client reusing its token costs one signature check, not one per request.
    """

    def __init__(self, settings: ServiceSettings, keys: SigningKeys, cache_size: int = 4096) -> None:
        self._issuer, self._audience = settings.auth_issuer, settings.auth_audience
        self._algorithms = frozenset(settings.auth_algorithms)
        self._keys = keys
        self._verified: OrderedDict[str, Caller] = OrderedDict()
        self._cache_size = cache_size

    def known(self, token: str) -> Caller | None:
        """The caller of a token this verifier has already verified and that has not expired, else None."""
        cached = self._verified.get(token)
        return cached if cached is not None and cached.expires_at > time.time() else None

    async def verify(self, token: str) -> Caller:
        """The caller ``token`` authenticates."""
        cached = self.known(token)
        if cached is not None:
            return cached
        caller = await self._verify(token)
        self._verified[token] = caller
        while len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return caller

    async def _verify(self, token: str) -> Caller:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise _invalid("the bearer token is not a JWT") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in self._algorithms:
            raise _invalid(f"tokens signed with {algorithm!r} are not accepted")
        if not isinstance(kid, str):
            raise _invalid("the token names no signing key (kid)")
        key = await self._keys.key(kid)
        if key is None:
            raise _invalid("the token is signed by a key the identity provider does not publish")
        # The key decides the algorithm (its "alg", or RS256 for an RSA key without one): no token can make
        # the service use a key with an algorithm it was not published for.
        if key.algorithm_name != algorithm:
            raise _invalid(f"the token's algorithm {algorithm} does not match its key's ({key.algorithm_name})")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise _invalid("the token has expired; get a new one") from None
        except jwt.InvalidAudienceError:
            raise _invalid(f"the token is not for this service (audience must be {self._audience})") from None
        except jwt.InvalidIssuerError:
            raise _invalid("the token is from another issuer") from None
        except jwt.InvalidSignatureError:
            raise _invalid("the token's signature does not verify") from None
        except jwt.MissingRequiredClaimError as error:
            raise _invalid(f"the token lacks the {error.claim!r} claim") from None
        except jwt.InvalidTokenError as error:
            raise _invalid(f"the token is not valid ({error})") from None
        return Caller(subject=str(claims["sub"]), permissions=permissions_of(claims), expires_at=float(claims["exp"]))


def permissions_of(claims: dict[str, Any]) -> frozenset[str]:
    """Scopes (``scope`` or ``scp``, a space-separated string or a list) and app roles (``roles``)."""
    granted: set[str] = set()
    for name in ("scope", "scp", "roles"):
        value = claims.get(name)
        if isinstance(value, str):
            granted.update(value.split())
        elif isinstance(value, list):
            granted.update(item for item in value if isinstance(item, str))
    return frozenset(granted)


def bearer_token(authorization: bytes | None) -> str | None:
    """The token of a raw ``Authorization: Bearer <token>`` header, or None for anything else."""
    if not authorization:
        return None
    kind, _, token = authorization.decode("latin-1").partition(" ")
    token = token.strip()
    return token if kind.lower() == "bearer" and token and len(token) <= MAX_TOKEN_BYTES else None


def _invalid(description: str) -> Unauthenticated:
    # RFC 6750: the challenge says why, so a client knows to get a new token rather than retry.
    quoted = description.replace('"', "'")
    return Unauthenticated(
        description,
        {"WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token", error_description="{quoted}"'},
    )


def authenticator(settings: ServiceSettings, verifier: TokenVerifier) -> Callable[..., Awaitable[Caller]]:
    """The FastAPI security dependency: ``Security(dependency, scopes=[Permission.X])`` on a route.

    It documents the provider as the OpenID Connect security scheme of the OpenAPI document, with each route's
    required scope, and answers 401 (no or invalid token) or 403 (a valid token without the scope).
    """
    discovery = f"{settings.auth_issuer.rstrip('/')}/.well-known/openid-configuration"
    scheme = OpenIdConnect(openIdConnectUrl=discovery, scheme_name="workforce-idp", auto_error=False)

    # A default rather than an Annotated[] hint: the hint would name ``scheme``, a local FastAPI cannot resolve.
    async def authenticated(security_scopes: SecurityScopes, authorization: str | None = Depends(scheme)) -> Caller:
        if not authorization:
            raise Unauthenticated(
                "this route needs a bearer token from the identity provider",
                {"WWW-Authenticate": f'Bearer realm="{REALM}"'},
            )
        kind, _, token = authorization.partition(" ")
        token = token.strip()
        if kind.lower() != "bearer" or not token:
            raise _invalid("send the token as 'Authorization: Bearer <token>'")
        if len(token) > MAX_TOKEN_BYTES:
            raise _invalid("the token is too long")
        caller = await verifier.verify(token)
        missing = [scope for scope in security_scopes.scopes if scope not in caller.permissions]
        if missing:
            needed = " ".join(missing)
            raise Forbidden(
                f"this route needs the {needed} scope, which the token does not grant",
                {"WWW-Authenticate": f'Bearer realm="{REALM}", error="insufficient_scope", scope="{needed}"'},
            )
        return caller

    return authenticated
