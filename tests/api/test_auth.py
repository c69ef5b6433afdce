"""Who may call what: tokens from the local identity provider (a real JWKS over HTTP on loopback) against the
routes, one case per way a token can be wrong."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives import serialization
from northwind_analytics.auth import Permission, SigningKeys, permissions_of
from northwind_analytics.errors import ServiceUnavailable

from etl.localdev.identity_provider import LocalIdentityProvider, new_signing_key
from tests.api.conftest import ALL_SCOPES

AGGREGATE = "/v1/funnel/daily?start=1997-01-01&end=1997-01-31"
CUSTOMER_LEVEL = "/v1/customers/ALFKI/lifetime-value"
VALUATIONS = "/v1/vehicle-valuations?start=2026-10-01&end=2026-10-31"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unsigned(identity_provider) -> str:
    """alg "none": a token anyone can write."""
    valid = identity_provider.token(ALL_SCOPES)
    claims = json.loads(base64.urlsafe_b64decode(valid.split(".")[1] + "=="))
    return f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}."


def _hmac_with_the_public_key(identity_provider) -> str:
    """Algorithm confusion: HS256 keyed with the provider's public key, which anyone can download."""
    valid = identity_provider.token(ALL_SCOPES)
    claims = valid.split(".")[1]
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": identity_provider.key_id}).encode())
    public_pem = identity_provider.signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signature = hmac.new(public_pem, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{_b64(signature)}"


TOKENS = {
    "valid, every scope": lambda idp: idp.token(ALL_SCOPES),
    "expired": lambda idp: idp.token(ALL_SCOPES, lifetime_seconds=-120),
    "wrong audience": lambda idp: idp.token(ALL_SCOPES, audience="another-service"),
    "wrong issuer": lambda idp: idp.token(ALL_SCOPES, issuer="https://evil.example"),
    "wrong signature": lambda idp: idp.token(ALL_SCOPES, signing_key=new_signing_key()),
    "alg none": _unsigned,
    "alg confusion (HS256 with the public key)": _hmac_with_the_public_key,
    "not a JWT": lambda idp: "not-a-token",
    "analytics scope only": lambda idp: idp.token([Permission.ANALYTICS]),
    "customers scope only": lambda idp: idp.token([Permission.CUSTOMERS]),
    "no scope": lambda idp: idp.token([]),
}
# token -> (aggregate route, customer-level route, vehicle valuations) statuses
MATRIX = {
    "valid, every scope": (200, 200, 200),
    "expired": (401, 401, 401),
    "wrong audience": (401, 401, 401),
    "wrong issuer": (401, 401, 401),
    "wrong signature": (401, 401, 401),
    "alg none": (401, 401, 401),
    "alg confusion (HS256 with the public key)": (401, 401, 401),
    "not a JWT": (401, 401, 401),
    "analytics scope only": (200, 403, 403),
    "customers scope only": (403, 200, 403),
    "no scope": (403, 403, 403),
}


@pytest.mark.parametrize("case", list(MATRIX))
def test_the_auth_matrix(case, anonymous, identity_provider):
    token = TOKENS[case](identity_provider)
    statuses = tuple(
        anonymous.get(path, headers={"Authorization": f"Bearer {token}"}).status_code
        for path in (AGGREGATE, CUSTOMER_LEVEL, VALUATIONS)
    )
    assert statuses == MATRIX[case]


def test_no_token_is_a_401_with_a_bearer_challenge_in_the_error_model(anonymous):
    response = anonymous.get(AGGREGATE)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="northwind-analytics"'
    assert response.json() == {
        "type": "about:blank",
        "status": 401,
        "title": "Unauthorized",
        "detail": "this route needs a bearer token from the identity provider",
        "errors": [],
    }


def test_an_expired_token_says_so_in_the_body_and_the_challenge(anonymous, identity_provider):
    token = identity_provider.token(ALL_SCOPES, lifetime_seconds=-120)
    response = anonymous.get(AGGREGATE, headers={"Authorization": f"Bearer {token}"})
    assert response.json()["detail"] == "the token has expired; get a new one"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_a_missing_scope_is_a_403_naming_the_scope(anonymous, identity_provider):
    token = identity_provider.token([Permission.ANALYTICS])
    response = anonymous.get(CUSTOMER_LEVEL, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["detail"] == "this route needs the customers.read scope, which the token does not grant"
    assert 'error="insufficient_scope", scope="customers.read"' in response.headers["www-authenticate"]


def test_another_scheme_than_bearer_is_refused(anonymous):
    response = anonymous.get(AGGREGATE, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401 and "Bearer" in response.json()["detail"]


def test_an_anonymous_caller_learns_nothing_from_bad_parameters(anonymous):
    assert anonymous.get("/v1/sales/daily?start=1997-02-01&end=1997-01-01").status_code == 401


def test_liveness_needs_no_token_but_readiness_does(anonymous):
    assert anonymous.get("/health").status_code == 200
    assert anonymous.get("/health/database").status_code == 401


def test_roles_and_scp_claims_grant_permissions_too():
    assert permissions_of({"scp": "analytics.read customers.read"}) == {"analytics.read", "customers.read"}
    assert permissions_of({"scp": ["analytics.read"], "roles": ["valuations.read"]}) == {
        "analytics.read",
        "valuations.read",
    }
    assert permissions_of({"scope": 42}) == frozenset()


@pytest.mark.anyio
async def test_keys_are_fetched_once_and_an_unknown_key_at_most_every_30_seconds(identity_provider):
    now = [0.0]
    keys = SigningKeys(identity_provider.jwks_url, clock=lambda: now[0])
    before = identity_provider.jwks_requests()
    assert await keys.key(identity_provider.key_id) is not None
    assert await keys.key(identity_provider.key_id) is not None
    assert await keys.key("unknown") is None
    old_key, old_id = identity_provider.signing_key, identity_provider.key_id
    try:
        identity_provider.publish(new_signing_key(), "rotated")
        now[0] = 31
        assert await keys.key("rotated") is not None
    finally:
        identity_provider.publish(old_key, old_id)
    assert identity_provider.jwks_requests() - before == 2


@pytest.mark.anyio
async def test_known_keys_stay_in_use_while_the_provider_is_down_and_the_outage_is_logged_once(caplog):
    now = [0.0]
    with LocalIdentityProvider() as provider:
        keys = SigningKeys(provider.jwks_url, clock=lambda: now[0], timeout_seconds=1)
        assert await keys.key(provider.key_id) is not None
    for step in (1, 2):
        now[0] = 400 * step
        assert await keys.key(provider.key_id) is not None
    assert [r.message for r in caplog.records].count(
        next(r.message for r in caplog.records if "could not be fetched" in r.message)
    ) == 1


@pytest.mark.anyio
async def test_while_no_key_could_ever_be_fetched_tokens_are_answered_503_not_refused():
    with LocalIdentityProvider() as provider:
        url = provider.jwks_url
    keys = SigningKeys(url, timeout_seconds=1)
    with pytest.raises(ServiceUnavailable, match="cannot be fetched"):
        await keys.key("any")
