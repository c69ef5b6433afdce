"""Connections to the serving database, read-only by construction."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from psycopg.rows import dict_row

from northwind_analytics.settings import ServiceSettings

# RDS IAM tokens live 15 minutes; renew well before.
TOKEN_LIFETIME_SECONDS = 600


def rds_token_signer(settings: ServiceSettings) -> Callable[[], str]:
    """A function returning a fresh RDS IAM authentication token for the service's user."""
    import boto3

    client = boto3.client("rds", region_name=settings.region)

    def sign() -> str:
        return client.generate_db_auth_token(
            DBHostname=settings.db_host, Port=settings.db_port, DBUsername=settings.db_user
        )

    return sign


@dataclass
class Database:
    """Opens a read-only connection per request; with IAM auth the token is reused until it nears expiry."""

    settings: ServiceSettings
    sign_token: Callable[[], str] | None = None
    clock: Callable[[], float] = time.monotonic
    _token: tuple[str, float] | None = field(default=None, init=False, repr=False)

    def _password(self) -> str | None:
        if not self.settings.db_iam_auth or self.sign_token is None:
            return None
        now = self.clock()
        if self._token is None or now - self._token[1] > TOKEN_LIFETIME_SECONDS:
            self._token = (self.sign_token(), now)
        return self._token[0]

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection]:
        s = self.settings
        with psycopg.connect(
            host=s.db_host,
            port=s.db_port,
            dbname=s.db_name,
            user=s.db_user,
            password=self._password(),
            sslmode=s.db_sslmode,
            connect_timeout=5,
            application_name="northwind-analytics",
            row_factory=dict_row,
            # The API only reads; a bug cannot write through this session.
            options="-c default_transaction_read_only=on -c statement_timeout=10000",
        ) as connection:
            yield connection
