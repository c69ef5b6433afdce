"""Pooled connections: reused, bounded waits answered 503 with Retry-After, outages logged once, IAM tokens
renewed before they expire, readiness reporting the pool, the database found through its address parameter."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from fastapi.testclient import TestClient
from northwind_analytics.api import create_app
from northwind_analytics.database import (
    ADDRESS_REFRESH_SECONDS,
    TOKEN_REFRESH_SECONDS,
    Database,
    DatabaseAddress,
    DatabaseUnavailable,
)
from northwind_analytics.settings import ServiceSettings

from tests.api.conftest import ALL_SCOPES, service_settings

CUSTOMERS = "/v1/customers/lifetime-value"


@contextmanager
def locked(settings, table: str = "serving.customer_lifetime_value") -> Iterator[None]:
    """``table`` locked by another session: queries on it wait until the lock goes or they time out."""
    conninfo = f"host={settings.db_host} port={settings.db_port} dbname={settings.db_name} user=postgres"
    with psycopg.connect(conninfo) as connection:
        connection.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
        connection.rollback()


@contextmanager
def started(settings, identity_provider) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {identity_provider.token(ALL_SCOPES)}"
        yield client


def _service_connections(settings) -> int:
    conninfo = f"host={settings.db_host} port={settings.db_port} dbname={settings.db_name} user=postgres"
    with psycopg.connect(conninfo) as connection:
        query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'northwind-analytics'"
        return connection.execute(query).fetchone()[0]


def test_requests_reuse_the_pools_connections(serving_settings, identity_provider):
    # Without the response cache (and its version reader), so each of the 20 requests reaches the database.
    uncached = serving_settings.model_copy(update={"response_cache_bytes": 0})
    with started(uncached, identity_provider) as client:
        for _ in range(20):
            assert client.get(CUSTOMERS).status_code == 200
        # A request that arrives while the previous one is still returning its connection makes the pool grow by
        # one; a connection per request would show 20.
        assert _service_connections(uncached) <= 2


def test_readiness_reports_the_pool(client, serving_settings):
    body = client.get("/health/database").json()
    assert body["status"] == "ok"
    assert body["pool"]["max_size"] == serving_settings.db_pool_max_size and body["pool"]["size"] >= 1


def test_an_exhausted_pool_is_a_503_with_retry_after_once_the_bounded_wait_is_over(serving_settings, identity_provider):
    settings = serving_settings.model_copy(update={"db_pool_max_size": 1, "db_pool_wait_seconds": 0.5})
    with started(settings, identity_provider) as client:
        with locked(settings):
            holder = threading.Thread(target=client.get, args=(CUSTOMERS,))
            holder.start()
            time.sleep(0.3)  # the one connection is now waiting for the lock
            began = time.monotonic()
            refused = client.get("/v1/funnel/daily", params={"start": "1997-01-01", "end": "1997-01-31"})
            waited = time.monotonic() - began
        holder.join()
        assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
        assert refused.json()["detail"] == "the serving database is unavailable; retry shortly"
        assert 0.4 < waited < 2.5
        assert client.get(CUSTOMERS).status_code == 200


def test_an_outage_is_logged_once_with_its_cause_and_its_end_once(serving_settings, identity_provider, caplog):
    settings = serving_settings.model_copy(update={"db_statement_timeout_seconds": 0.3})
    caplog.set_level(logging.WARNING, logger="northwind_analytics")
    with started(settings, identity_provider) as client:
        with locked(settings):
            statuses = [client.get(CUSTOMERS).status_code for _ in range(3)]
        assert statuses == [503, 503, 503]
        assert client.get(CUSTOMERS).status_code == 200
    messages = [r.getMessage() for r in caplog.records if r.name == "northwind_analytics.database"]
    assert len(messages) == 2
    assert messages[0].startswith("serving database unavailable: canceling statement due to statement timeout")
    assert messages[1].startswith("serving database available again after") and "3 request(s)" in messages[1]


def test_the_database_down_is_a_503_and_readiness_says_unavailable(postgres_server, identity_provider):
    unreachable = service_settings(postgres_server, identity_provider, db_port=1, db_pool_wait_seconds=0.5)
    with started(unreachable, identity_provider) as client:
        data = client.get(CUSTOMERS)
        readiness = client.get("/health/database")
    assert data.status_code == 503 and data.headers["retry-after"] == "5"
    assert readiness.status_code == 503 and readiness.json()["status"] == "unavailable"
    assert readiness.json()["pool"]["available"] == 0


def _with_iam_auth(identity_provider) -> ServiceSettings:
    return ServiceSettings(
        db_host="db.internal",
        db_iam_auth=True,
        region="eu-west-2",
        auth_issuer=identity_provider.issuer,
        auth_audience=identity_provider.audience,
        auth_jwks_url=identity_provider.jwks_url,
    )


def test_iam_tokens_are_reused_until_they_near_expiry(identity_provider):
    issued = []
    now = [0.0]

    def sign(host: str) -> str:
        issued.append(f"token-{len(issued)}-{host}")
        return issued[-1]

    settings = _with_iam_auth(identity_provider)
    database = Database(settings, sign_token=sign, clock=lambda: now[0])
    assert database._password("db.internal") == "token-0-db.internal"
    now[0] = TOKEN_REFRESH_SECONDS / 2
    assert database._password("db.internal") == "token-0-db.internal"
    # A token names its host: a database found elsewhere gets a token of its own at once.
    assert database._password("db.elsewhere") == "token-1-db.elsewhere"
    now[0] = TOKEN_REFRESH_SECONDS * 2
    assert database._password("db.elsewhere") == "token-2-db.elsewhere"
    assert TOKEN_REFRESH_SECONDS < 15 * 60


@pytest.mark.anyio
async def test_each_new_connection_logs_in_with_the_current_token(identity_provider):
    tokens = iter(["first", "second"])
    settings = _with_iam_auth(identity_provider)
    now = [0.0]
    database = Database(settings, sign_token=lambda host: next(tokens), clock=lambda: now[0])
    assert (await database._connection_arguments())["password"] == "first"
    now[0] = TOKEN_REFRESH_SECONDS + 1
    assert (await database._connection_arguments())["password"] == "second"


def _by_parameter(identity_provider, **changes) -> ServiceSettings:
    return ServiceSettings(
        db_host_parameter="/northwind-dev-serving/address",
        region="eu-west-2",
        auth_issuer=identity_provider.issuer,
        auth_audience=identity_provider.audience,
        auth_jwks_url=identity_provider.jwks_url,
        **changes,
    )


def test_the_host_is_read_from_its_parameter_again_after_the_refresh_interval_and_kept_if_the_parameter_goes(
    identity_provider,
):
    values = iter(["db-1.internal", "db-2.internal", None])
    reads, now = [], [0.0]

    def read(name: str) -> str | None:
        reads.append(name)
        return next(values)

    address = DatabaseAddress(_by_parameter(identity_provider), read, clock=lambda: now[0])
    assert address.host() == "db-1.internal"
    now[0] = ADDRESS_REFRESH_SECONDS
    assert address.host() == "db-1.internal" and len(reads) == 1
    now[0] = ADDRESS_REFRESH_SECONDS + 1
    assert address.host() == "db-2.internal"
    now[0] = 3 * ADDRESS_REFRESH_SECONDS
    assert address.host() == "db-2.internal" and address.problem is None
    assert reads == ["/northwind-dev-serving/address"] * 3


def test_no_host_before_the_parameter_exists_names_the_parameter_and_is_read_again_at_the_next_connection(
    identity_provider,
):
    values = iter([None, "db.internal"])
    address = DatabaseAddress(_by_parameter(identity_provider), lambda name: next(values))
    with pytest.raises(DatabaseUnavailable, match="parameter /northwind-dev-serving/address holds no host yet"):
        address.host()
    assert address.host() == "db.internal" and address.problem is None


@pytest.mark.anyio
async def test_each_connection_goes_to_the_parameters_host_with_a_token_for_that_host(identity_provider):
    settings = _by_parameter(identity_provider, db_iam_auth=True)
    address = DatabaseAddress(settings, lambda name: "db.internal")
    database = Database(settings, sign_token=lambda host: f"token-for-{host}", address=address)
    arguments = await database._connection_arguments()
    assert (arguments["host"], arguments["password"]) == ("db.internal", "token-for-db.internal")


def test_an_instance_started_before_its_database_exists_is_live_and_turns_ready_once_the_parameter_holds_the_host(
    serving_settings, identity_provider
):
    """The first apply launches the instances while RDS is still being created: the load balancer's liveness
    check passes at once; readiness (the smoke test's check) follows the database."""
    published: dict[str, str] = {}
    settings = serving_settings.model_copy(
        update={"db_host": None, "db_host_parameter": "/northwind-dev-serving/address", "db_pool_wait_seconds": 0.5}
    )
    with TestClient(create_app(settings, read_parameter=published.get)) as client:
        client.headers["Authorization"] = f"Bearer {identity_provider.token(ALL_SCOPES)}"
        assert client.get("/health").status_code == 200
        before = client.get("/health/database")
        assert before.status_code == 503 and before.json()["status"] == "unavailable"
        assert client.get(CUSTOMERS).status_code == 503
        published["/northwind-dev-serving/address"] = serving_settings.db_host
        deadline = time.monotonic() + 10
        while client.get("/health/database").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert client.get("/health/database").json()["status"] == "ok"
        assert client.get(CUSTOMERS).status_code == 200
