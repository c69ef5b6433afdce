"""Connection settings for the serving database.

In AWS the serving load logs in as its own role with an RDS IAM authentication token
(``settings_with_iam_token``: no stored password); only the bootstrap job uses the RDS-managed master secret,
which holds only ``username`` and ``password``. Both verify the database's certificate and name against the
RDS CA bundle (``verify-full``, ``etl.serve.ca_bundle``). Where the database listens (host, port, database name) comes
from the stack, passed to the job as arguments (``ServingDatabaseEndpoint``). Locally a secret may carry
``host``, ``port`` and ``dbname``
itself (``$NORTHWIND_SERVING_DB_SECRET``), or the settings come from the throwaway server
(``etl.localdev.postgres``). The password is only ever handed to the driver.
"""

from __future__ import annotations

import json
from typing import Literal

from psycopg.conninfo import make_conninfo
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from etl.secrets import read_secret

LOCAL_SECRET_ENV_VAR = "NORTHWIND_SERVING_DB_SECRET"  # noqa: S105 - a variable name, not a secret
DEFAULT_PORT = 5432
DEFAULT_DATABASE = "northwind"
# The serving load's own login, created by migration V005; it logs in with IAM tokens.
SERVING_LOAD_ROLE = "serving_load"


class ServingDatabaseConfigError(ValueError):
    """The serving database's secret or endpoint arguments are not usable; the message says what to fix."""


class ServingDatabaseSettings(BaseModel):
    """Where and how to connect to the serving database."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    host: str
    port: int = Field(default=DEFAULT_PORT, gt=0, lt=65536)
    dbname: str = DEFAULT_DATABASE
    user: str = Field(alias="username")
    password: SecretStr | None = None
    # RDS enforces TLS; clients verify the server's certificate and name against the RDS CA bundle
    # (``sslrootcert``, fetched by ``etl.serve.ca_bundle``). "disable" is for the local throwaway server only.
    sslmode: Literal["disable", "require", "verify-ca", "verify-full"] = "verify-full"
    sslrootcert: str | None = None

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
            sslrootcert=self.sslrootcert,
            connect_timeout="10",
            application_name="northwind-serving-load",
        )


class ServingDatabaseEndpoint(BaseModel):
    """Where the serving database listens, as the stack reports it (``database_address`` and the database)."""

    model_config = ConfigDict(frozen=True)

    host: str = Field(min_length=1)
    port: int = Field(default=DEFAULT_PORT, gt=0, lt=65536)
    dbname: str = Field(default=DEFAULT_DATABASE, min_length=1)


def endpoint_from_arguments(
    host: str | None, port: str | None = None, dbname: str | None = None
) -> ServingDatabaseEndpoint | None:
    """The endpoint given by the job arguments ``--serving_db_host``, ``_port`` and ``_name``.

    None without a host (the secret then names it); a port or database name without a host is an error rather
    than ignored.
    """
    if not host:
        if port or dbname:
            raise ServingDatabaseConfigError(
                "--serving_db_port and --serving_db_name need --serving_db_host; pass the database address"
            )
        return None
    given = {"host": host, "port": port, "dbname": dbname}
    try:
        return ServingDatabaseEndpoint.model_validate({key: value for key, value in given.items() if value})
    except ValidationError as error:
        raise ServingDatabaseConfigError(
            f"serving database endpoint arguments are not usable ({_problems(error)}); pass "
            f"--serving_db_host, --serving_db_port (1-65535, default {DEFAULT_PORT}) and --serving_db_name "
            f"(default {DEFAULT_DATABASE})"
        ) from None


def settings_from_secret(
    secret_id: str | None,
    endpoint: ServingDatabaseEndpoint | None = None,
    client: object | None = None,
    ca_bundle: str | None = None,
) -> ServingDatabaseSettings:
    """Credentials from Secrets Manager (or ``$NORTHWIND_SERVING_DB_SECRET`` locally) joined to ``endpoint``.

    ``endpoint`` (from the job's arguments) wins over any host, port or database name in the secret; without
    it the secret must carry the host. With ``ca_bundle`` (a PEM file) the server is verified against it and
    its name (``verify-full``), whatever the secret says.
    """
    source = secret_id or LOCAL_SECRET_ENV_VAR
    try:
        values = json.loads(read_secret(secret_id, LOCAL_SECRET_ENV_VAR, client=client))
    except json.JSONDecodeError:
        values = None
    # The error texts never include the secret's values, only what is wrong with its shape.
    if not isinstance(values, dict):
        raise ServingDatabaseConfigError(
            f"serving database secret {source} is not usable (not a JSON object); "
            "store a JSON object with username and password"
        )
    if ca_bundle is not None:
        values = {**values, "sslmode": "verify-full", "sslrootcert": ca_bundle}
    if endpoint is not None:
        values = {**values, **endpoint.model_dump()}
    elif not values.get("host"):
        raise ServingDatabaseConfigError(
            f"no host for the serving database: secret {source} has none and no endpoint was given; "
            "pass --serving_db_host (the stack's database_address), or for local development put host in "
            "the secret"
        )
    try:
        return ServingDatabaseSettings.model_validate(values)
    except ValidationError as error:
        raise ServingDatabaseConfigError(
            f"serving database secret {source} is not usable ({_problems(error)}); "
            "store a JSON object with username and password (locally also host, port and dbname)"
        ) from None


def _problems(error: ValidationError) -> str:
    return ", ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())


def settings_with_iam_token(
    endpoint: ServingDatabaseEndpoint, user: str, rds_client: object, ca_bundle: str
) -> ServingDatabaseSettings:
    """Log in to ``endpoint`` as ``user`` with an RDS IAM authentication token (signed locally by the caller's
    role, valid 15 minutes; the role needs ``rds-db:connect`` for that database user), verifying the server
    against ``ca_bundle`` (a token is a credential: it goes only to the database the bundle vouches for)."""
    token = rds_client.generate_db_auth_token(DBHostname=endpoint.host, Port=endpoint.port, DBUsername=user)
    return ServingDatabaseSettings(
        host=endpoint.host,
        port=endpoint.port,
        dbname=endpoint.dbname,
        username=user,
        password=token,
        sslmode="verify-full",
        sslrootcert=ca_bundle,
    )
