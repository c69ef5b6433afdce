"""Service settings, from the environment file the instance's boot script writes.

In AWS the service logs in with a short-lived IAM token (``NORTHWIND_DB_IAM_AUTH=true``) over verified TLS,
so no password exists on the instance, and it finds the database through the SSM parameter the stack writes its
host name to (``NORTHWIND_DB_HOST_PARAMETER``), read when it connects: an instance started before the database
exists starts all the same, and turns ready once the database is there. Locally it connects to the throwaway
PostgreSQL on loopback (``NORTHWIND_DB_HOST``).

Callers are authenticated with access tokens from the identity provider named by ``NORTHWIND_AUTH_*``; there is
no setting that turns authentication off. Local runs and tests point these at the local issuer on loopback.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

# Asymmetric algorithms only: a shared-secret (HS*) or unsigned ("none") token is never accepted.
ACCEPTED_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"})

_ENVIRONMENT = (
    ("db_host", "NORTHWIND_DB_HOST"),
    ("db_host_parameter", "NORTHWIND_DB_HOST_PARAMETER"),
    ("db_port", "NORTHWIND_DB_PORT"),
    ("db_name", "NORTHWIND_DB_NAME"),
    ("db_user", "NORTHWIND_DB_USER"),
    ("db_iam_auth", "NORTHWIND_DB_IAM_AUTH"),
    ("db_sslmode", "NORTHWIND_DB_SSLMODE"),
    ("db_pool_min_size", "NORTHWIND_DB_POOL_MIN_SIZE"),
    ("db_pool_max_size", "NORTHWIND_DB_POOL_MAX_SIZE"),
    ("db_pool_wait_seconds", "NORTHWIND_DB_POOL_WAIT_SECONDS"),
    ("db_statement_timeout_seconds", "NORTHWIND_DB_STATEMENT_TIMEOUT_SECONDS"),
    ("response_cache_bytes", "NORTHWIND_RESPONSE_CACHE_BYTES"),
    ("response_cache_refresh_seconds", "NORTHWIND_RESPONSE_CACHE_REFRESH_SECONDS"),
    ("auth_issuer", "NORTHWIND_AUTH_ISSUER"),
    ("auth_audience", "NORTHWIND_AUTH_AUDIENCE"),
    ("auth_jwks_url", "NORTHWIND_AUTH_JWKS_URL"),
    ("auth_algorithms", "NORTHWIND_AUTH_ALGORITHMS"),
    ("retry_after_seconds", "NORTHWIND_RETRY_AFTER_SECONDS"),
    ("region", "AWS_REGION"),
)


class SettingsError(ValueError):
    """The service's environment is incomplete or malformed."""


def _comma_list(value: object) -> object:
    return tuple(part.strip() for part in value.split(",") if part.strip()) if isinstance(value, str) else value


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServiceSettings(BaseModel):
    """Where the serving database is, how to log in to it, and whose tokens to accept."""

    model_config = ConfigDict(frozen=True)

    db_host: str | None = Field(default=None, min_length=1)
    # An SSM parameter name, such as /northwind-dev-serving/address.
    db_host_parameter: str | None = Field(default=None, pattern=r"^/[A-Za-z0-9_.\-/]+$")
    db_port: int = Field(default=5432, gt=0, lt=65536)
    db_name: str = "northwind"
    db_user: str = "analytics_service"
    db_iam_auth: bool = False
    db_sslmode: Literal["disable", "require", "verify-ca", "verify-full"] = "verify-full"
    # Per worker process: the fleet holds instances x workers x db_pool_max_size connections at most.
    db_pool_min_size: int = Field(default=1, ge=0, le=100)
    db_pool_max_size: int = Field(default=8, ge=1, le=100)
    # How long a request waits for a free connection before it is answered 503.
    db_pool_wait_seconds: float = Field(default=2.0, gt=0, le=30)
    db_statement_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # Per worker process: the serialized responses kept in memory (0 keeps none); the serving versions are read
    # every refresh, and nothing kept is answered once they could not be read for two refreshes.
    response_cache_bytes: int = Field(default=32 * 1024 * 1024, ge=0, le=1024 * 1024 * 1024)
    response_cache_refresh_seconds: float = Field(default=5.0, gt=0, le=60)
    auth_issuer: str = Field(min_length=1)
    auth_audience: str = Field(min_length=1)
    auth_jwks_url: str = Field(min_length=1)
    auth_algorithms: Annotated[tuple[str, ...], BeforeValidator(_comma_list)] = ("RS256",)
    retry_after_seconds: int = Field(default=5, ge=1, le=300)
    region: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ServiceSettings:
        if (self.db_host is None) == (self.db_host_parameter is None):
            raise ValueError(
                "name the database by its host (NORTHWIND_DB_HOST) or by the SSM parameter holding it "
                "(NORTHWIND_DB_HOST_PARAMETER): exactly one of them"
            )
        if self.db_pool_min_size > self.db_pool_max_size:
            raise ValueError(f"db_pool_min_size ({self.db_pool_min_size}) exceeds db_pool_max_size")
        refused = sorted(set(self.auth_algorithms) - ACCEPTED_ALGORITHMS)
        if refused or not self.auth_algorithms:
            raise ValueError(
                f"auth_algorithms: {', '.join(refused) or 'none given'} not accepted; use asymmetric ones "
                f"({', '.join(sorted(ACCEPTED_ALGORITHMS))})"
            )
        for name in ("auth_issuer", "auth_jwks_url"):
            url = getattr(self, name)
            # Plain HTTP only to an issuer on this machine (local runs and tests); keys travel over TLS elsewhere.
            if not (url.startswith("https://") or (url.startswith("http://") and _is_loopback(url))):
                raise ValueError(f"{name}: {url!r} must be an https:// URL (http:// only on loopback)")
        return self

    @property
    def query_deadline_seconds(self) -> float:
        """How long a request waits for the database in all (connection and query) before it is a 503.

        Longer than the statement timeout, so the server's own timeout answers first while it is responsive;
        the deadline covers a database that does not answer at all.
        """
        return self.db_pool_wait_seconds + self.db_statement_timeout_seconds + 1.0

    @property
    def response_cache_stale_seconds(self) -> float:
        """How old the last read of the serving versions may be for kept responses to be answered: the longest a
        response can lag a change committed to the serving tables."""
        return 2 * self.response_cache_refresh_seconds

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> ServiceSettings:
        """Read ``NORTHWIND_DB_*``, ``NORTHWIND_AUTH_*`` and ``AWS_REGION``; a clear error names what is wrong."""
        env = os.environ if environ is None else environ
        values = {key: env[var] for key, var in _ENVIRONMENT if var in env}
        try:
            settings = cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(f"{e['loc'][0] if e['loc'] else 'settings'}: {e['msg']}" for e in error.errors())
            raise SettingsError(
                f"analytics service settings are invalid ({problems}); see NORTHWIND_DB_* and NORTHWIND_AUTH_*"
            ) from None
        if settings.db_iam_auth and not settings.region:
            raise SettingsError("NORTHWIND_DB_IAM_AUTH=true needs AWS_REGION to sign the database token")
        if settings.db_host_parameter and not settings.region:
            raise SettingsError("NORTHWIND_DB_HOST_PARAMETER needs AWS_REGION to read the parameter")
        return settings
