"""The secrets the platform reads, named once for the stack (``modules/secrets``) and for the script that sets
their values out of band (``scripts/set_secret.py``).

A secret is a resource (``aws_secretsmanager_secret``); its value never is, so it never reaches Terraform
state. Names are ``northwind-<env>/<key>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Rotation(StrEnum):
    """Who rotates a secret, and so whether Secrets Manager can."""

    ISSUER = "issuer"  # a third party issues it: rotated by hand with the issuer (runbook)
    NEVER_AUTOMATIC = "never-automatic"  # changing it changes derived data: a planned change (runbook)


@dataclass(frozen=True)
class PlatformSecret:
    """One secret: its key in names and job arguments, what it holds, how it rotates, where the runbook says how."""

    key: str
    description: str
    rotation: Rotation
    runbook_anchor: str
    generated: bool = False  # the platform may generate the value itself (random bytes), rather than be given it

    def name(self, name_prefix: str) -> str:
        """``<name_prefix>/<key>``, e.g. ``northwind-dev/pseudonym-key``."""
        return f"{name_prefix}/{self.key}"


PSEUDONYM_KEY = PlatformSecret(
    "pseudonym-key",
    "HMAC key pseudonymizing PII in the curated zone",
    Rotation.NEVER_AUTOMATIC,
    "the-pseudonymization-key",
    generated=True,
)
CATALOG_TOKEN = PlatformSecret(
    "catalog-token", "Bearer token of the product catalog API", Rotation.ISSUER, "the-catalog-api-token"
)
RAPIDAPI_KEY = PlatformSecret(
    "rapidapi", "RapidAPI key of the vehicle valuation API", Rotation.ISSUER, "the-rapidapi-key-vehicle-valuations"
)
PLATFORM_SECRETS = (PSEUDONYM_KEY, CATALOG_TOKEN, RAPIDAPI_KEY)


def platform_secret(key: str) -> PlatformSecret:
    """The secret called ``key``; an unknown key is an error listing the known ones."""
    for secret in PLATFORM_SECRETS:
        if secret.key == key:
            return secret
    raise KeyError(f"no platform secret {key!r}; known: {', '.join(s.key for s in PLATFORM_SECRETS)}")
