"""The serving database through a connection pool: read-only sessions, bounded waits, outages logged once.

Connections are opened once and reused (``psycopg_pool``), sized by the settings. Each new connection learns
where the database is from ``DatabaseAddress`` (a fixed host, or the SSM parameter the stack writes the host to)
and, with IAM authentication, logs in with an RDS token that is reused until it nears its 15-minute expiry. Every
request
waits a bounded time, for a connection and for its query: past it the caller gets a 503 with
``Retry-After`` instead of a hung request, whatever state the database is in.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from pydantic import BaseModel

from northwind_analytics.errors import DATABASE_UNAVAILABLE, BadRequest, ServiceUnavailable
from northwind_analytics.queries import Query
from northwind_analytics.settings import ServiceSettings

log = logging.getLogger("northwind_analytics.database")

# RDS IAM tokens live 15 minutes; new connections get a fresh one after 10, so none is used near its expiry.
TOKEN_REFRESH_SECONDS = 600
# The host is read from its parameter again after this long, so a replaced database is found by new connections.
ADDRESS_REFRESH_SECONDS = 300
# Connections are replaced after half an hour (a new IAM login, and the database's memory per backend reset).
CONNECTION_LIFETIME_SECONDS = 1800
CONNECTION_IDLE_SECONDS = 300


def rds_token_signer(settings: ServiceSettings) -> Callable[[str], str]:
    """A function returning a fresh RDS IAM authentication token for the service's user at a host."""
    import boto3

    client = boto3.client("rds", region_name=settings.region)

    def sign(host: str) -> str:
        return client.generate_db_auth_token(DBHostname=host, Port=settings.db_port, DBUsername=settings.db_user)

    return sign


def ssm_parameter_reader(settings: ServiceSettings) -> Callable[[str], str | None]:
    """A function returning an SSM parameter's value, or None while the parameter does not exist."""
    import boto3

    client = boto3.client("ssm", region_name=settings.region)

    def read(name: str) -> str | None:
        try:
            return client.get_parameter(Name=name)["Parameter"]["Value"]
        except client.exceptions.ParameterNotFound:
            return None

    return read


class DatabaseAddress:
    """Where the serving database is: the settings' fixed host, or the value of the SSM parameter the stack
    writes the host to, read when a connection is opened and again after ``ADDRESS_REFRESH_SECONDS``.

    Until the parameter exists (the database of a first apply is still being created) ``host`` raises
    ``DatabaseUnavailable``, so connections fail and the service's readiness answers 503, while its liveness
    answers 200 and the load balancer keeps the instance. ``problem`` says why the last read found no host.
    """

    def __init__(
        self,
        settings: ServiceSettings,
        read_parameter: Callable[[str], str | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if settings.db_host is None and read_parameter is None:
            raise ValueError("DatabaseAddress: the host is in a parameter; give a function reading it")
        self.settings = settings
        self.read_parameter = read_parameter
        self.clock = clock
        self.problem: str | None = None
        self._read: tuple[str, float] | None = None

    def host(self) -> str:
        if self.settings.db_host is not None:
            return self.settings.db_host
        name = self.settings.db_host_parameter
        now = self.clock()
        if self._read is not None and now - self._read[1] <= ADDRESS_REFRESH_SECONDS:
            return self._read[0]
        value = self.read_parameter(name)
        if value:
            if self._read is None or self._read[0] != value:
                log.warning("serving database at %s (from %s)", value, name)
            self._read, self.problem = (value, now), None
            return value
        if self._read is not None:
            # Deleted after it was read: keep the last known host rather than lose the database.
            return self._read[0]
        self.problem = f"parameter {name} holds no host yet: the database is still being created, or was never"
        raise DatabaseUnavailable(self.problem)


class PoolState(BaseModel):
    """The connection pool of one worker process, as readiness reports it."""

    min_size: int
    max_size: int
    size: int
    available: int
    waiting: int


class DatabaseUnavailable(Exception):
    """The database did not answer usefully; ``cause`` says why (for the log, never for the caller)."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


class OutageLog:
    """Logs an outage once when it starts, with its cause, and once when it ends, with how many requests it
    refused: a stalled database under load is two log lines, not one per request."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._since: float | None = None
        self.refused = 0

    @property
    def ongoing(self) -> bool:
        """True between the first failure and the next success."""
        return self._since is not None

    def failed(self, cause: str) -> None:
        """A request found the database unavailable."""
        if self._since is None:
            self._since, self.refused = self._clock(), 0
            log.error("serving database unavailable: %s; answering 503 with Retry-After until it recovers", cause)
        self.refused += 1

    def succeeded(self) -> None:
        """A request was answered by the database."""
        if self._since is not None:
            log.warning(
                "serving database available again after %.1f s; %d request(s) were answered 503",
                self._clock() - self._since,
                self.refused,
            )
            self._since = None


class Database:
    """The pool of read-only connections one worker process uses; ``open`` it before use, ``close`` after."""

    def __init__(
        self,
        settings: ServiceSettings,
        sign_token: Callable[[str], str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        address: DatabaseAddress | None = None,
    ) -> None:
        self.settings = settings
        self.sign_token = sign_token
        self.clock = clock
        self.address = address or DatabaseAddress(settings, clock=clock)
        self.outage = OutageLog(clock)
        self._token: tuple[str, str, float] | None = None
        # Requests abandoned at their deadline finish (or fail) in the background; kept so they are not lost.
        self._abandoned: set[asyncio.Task] = set()
        s = settings
        statement_timeout_ms = int(s.db_statement_timeout_seconds * 1000)
        self.pool = AsyncConnectionPool(
            # The host comes with each connection's arguments (``DatabaseAddress``).
            make_conninfo(
                port=str(s.db_port),
                dbname=s.db_name,
                user=s.db_user,
                sslmode=s.db_sslmode,
                connect_timeout="5",
                application_name="northwind-analytics",
                # The API only reads; a bug cannot write through these sessions.
                options=f"-c default_transaction_read_only=on -c statement_timeout={statement_timeout_ms}",
            ),
            kwargs=self._connection_arguments,
            min_size=s.db_pool_min_size,
            max_size=s.db_pool_max_size,
            timeout=s.db_pool_wait_seconds,
            max_lifetime=CONNECTION_LIFETIME_SECONDS,
            max_idle=CONNECTION_IDLE_SECONDS,
            name="serving",
            open=False,
        )

    def _password(self, host: str) -> str | None:
        if not self.settings.db_iam_auth or self.sign_token is None:
            return None
        now = self.clock()
        if self._token is None or self._token[1] != host or now - self._token[2] > TOKEN_REFRESH_SECONDS:
            self._token = (self.sign_token(host), host, now)
        return self._token[0]

    async def _connection_arguments(self) -> dict[str, Any]:
        # Reading the parameter and signing may call AWS (and refresh credentials): off the event loop.
        host = await asyncio.to_thread(self.address.host)
        password = await asyncio.to_thread(self._password, host)
        return {
            "host": host,
            "autocommit": True,
            "row_factory": dict_row,
            **({"password": password} if password else {}),
        }

    async def open(self) -> None:
        """Start filling the pool in the background: the service starts even while the database is down."""
        await self.pool.open(wait=False)

    async def close(self) -> None:
        """Close every connection."""
        await self.pool.close(timeout=5)

    def state(self) -> PoolState:
        """The pool's size, free connections and waiting requests now."""
        stats = self.pool.get_stats()
        return PoolState(
            min_size=self.pool.min_size,
            max_size=self.pool.max_size,
            size=stats.get("pool_size", 0),
            available=stats.get("pool_available", 0),
            waiting=stats.get("requests_waiting", 0),
        )

    async def fetch(self, query: Query, deadline: float | None = None) -> list[dict[str, Any]]:
        """The rows of ``query``; 503 (logged once per outage) when the database does not answer in time."""
        try:
            rows = await self._within(deadline or self.settings.query_deadline_seconds, self._fetch(query))
        except DatabaseUnavailable as unavailable:
            self.outage.failed(unavailable.cause)
            raise ServiceUnavailable(
                DATABASE_UNAVAILABLE, {"Retry-After": str(self.settings.retry_after_seconds)}
            ) from None
        self.outage.succeeded()
        return rows

    async def _fetch(self, query: Query) -> list[dict[str, Any]]:
        try:
            async with self.pool.connection() as connection:
                cursor = await connection.execute(query.sql, query.params)
                return await cursor.fetchall()
        except PoolTimeout:
            state = self.state()
            where = f"; {self.address.problem}" if self.address.problem else ""
            raise DatabaseUnavailable(
                f"no connection free within {self.settings.db_pool_wait_seconds:g} s "
                f"({state.size} of {state.max_size} open, {state.waiting} request(s) waiting){where}"
            ) from None
        except psycopg.DataError as error:
            # Validation keeps values within the column types; this is a last line, still the caller's input.
            raise BadRequest(f"a parameter is out of range for the database ({error.sqlstate})") from None
        except psycopg.OperationalError as error:
            raise DatabaseUnavailable(
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            ) from None

    async def _within(self, seconds: float, work: Awaitable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        # A database that stops answering (frozen, partitioned) never trips its own statement timeout. The
        # request is answered at the deadline; its query is cancelled and cleaned up in the background,
        # where psycopg may wait for the cancellation to be acknowledged.
        task = asyncio.ensure_future(work)
        try:
            return await asyncio.wait_for(asyncio.shield(task), seconds)
        except TimeoutError:
            task.cancel()
            self._abandoned.add(task)
            task.add_done_callback(self._forget)
            raise DatabaseUnavailable(f"no answer within {seconds:g} s") from None

    def _forget(self, task: asyncio.Task) -> None:
        self._abandoned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("abandoned query ended with %s", type(task.exception()).__name__)
