"""Service settings, from the environment file the instance's boot script writes.

In AWS the service logs in with a short-lived IAM token (``NORTHWIND_DB_IAM_AUTH=true``) over verified TLS,
so no password exists on the instance. Locally it connects to the throwaway PostgreSQL on loopback.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class SettingsError(ValueError):
    """The service's environment is incomplete or malformed."""


class ServiceSettings(BaseModel):
    """Where the serving database is and how to log in to it."""

    model_config = ConfigDict(frozen=True)

    db_host: str
    db_port: int = Field(default=5432, gt=0, lt=65536)
    db_name: str = "northwind"
    db_user: str = "analytics_service"
    db_iam_auth: bool = False
    db_sslmode: Literal["disable", "require", "verify-ca", "verify-full"] = "verify-full"
    region: str | None = None

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> ServiceSettings:
        """Read ``NORTHWIND_DB_*`` and ``AWS_REGION``; a clear error names what is missing or wrong."""
        env = os.environ if environ is None else environ
        values = {
            key: env[var]
            for key, var in (
                ("db_host", "NORTHWIND_DB_HOST"),
                ("db_port", "NORTHWIND_DB_PORT"),
                ("db_name", "NORTHWIND_DB_NAME"),
                ("db_user", "NORTHWIND_DB_USER"),
                ("db_iam_auth", "NORTHWIND_DB_IAM_AUTH"),
                ("db_sslmode", "NORTHWIND_DB_SSLMODE"),
                ("region", "AWS_REGION"),
            )
            if var in env
        }
        try:
            settings = cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
            raise SettingsError(f"analytics service settings are invalid ({problems}); see NORTHWIND_DB_*") from None
        if settings.db_iam_auth and not settings.region:
            raise SettingsError("NORTHWIND_DB_IAM_AUTH=true needs AWS_REGION to sign the database token")
        return settings
