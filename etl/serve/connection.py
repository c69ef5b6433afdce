"""Connection settings for the serving database.

In AWS they come from a Secrets Manager secret in the RDS JSON shape (``host``, ``port``, ``dbname``,
``username``, ``password``); locally, from the throwaway server (``etl.localdev.postgres``). The password is
only ever handed to the driver.
"""

from __future__ import annotations

import json
from typing import Literal

from psycopg.conninfo import make_conninfo
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from etl.secrets import read_secret

LOCAL_SECRET_ENV_VAR = "NORTHWIND_SERVING_DB_SECRET"  # noqa: S105 - a variable name, not a secret


class ServingDatabaseConfigError(ValueError):
    """The serving database secret is not the JSON object the loader expects."""


class ServingDatabaseSettings(BaseModel):
    """Where and how to connect to the serving database."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    host: str
    port: int = Field(default=5432, gt=0, lt=65536)
    dbname: str = "northwind"
    user: str = Field(alias="username")
    password: SecretStr | None = None
    # RDS enforces TLS; verify-full once the RDS CA bundle is on the job's path.
    sslmode: Literal["disable", "require", "verify-ca", "verify-full"] = "require"

    def conninfo(self) -> str:
        """A libpq connection string for psycopg."""
        password = self.password.get_secret_value() if self.password else None
        return make_conninfo(
            host=self.host,
            port=str(self.port),
            dbname=self.dbname,
            user=self.user,
            password=password,
            sslmode=self.sslmode,
            connect_timeout="10",
            application_name="northwind-serving-load",
        )


def settings_from_secret(secret_id: str | None, client: object | None = None) -> ServingDatabaseSettings:
    """Read the serving database settings from Secrets Manager (or ``$NORTHWIND_SERVING_DB_SECRET`` locally)."""
    raw = read_secret(secret_id, LOCAL_SECRET_ENV_VAR, client=client)
    try:
        return ServingDatabaseSettings.model_validate(json.loads(raw))
    except (json.JSONDecodeError, ValidationError) as error:
        # The error text never includes the secret's values, only what is wrong with its shape.
        problems = (
            "not JSON"
            if isinstance(error, json.JSONDecodeError)
            else ", ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        )
        raise ServingDatabaseConfigError(
            f"serving database secret {secret_id or LOCAL_SECRET_ENV_VAR} is not usable ({problems}); "
            "store a JSON object with host, port, dbname, username and password"
        ) from None
