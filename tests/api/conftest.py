"""The analytics API against a real PostgreSQL holding the serving schema, and a local identity provider."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from fastapi.testclient import TestClient
from northwind_analytics.api import create_app
from northwind_analytics.auth import Permission
from northwind_analytics.settings import ServiceSettings

from etl.localdev.identity_provider import LocalIdentityProvider
from etl.serve.migrate import apply_migrations
from tests.support.postgres import postgres_connection, postgres_database, postgres_server  # noqa: F401

ALL_SCOPES = tuple(permission.value for permission in Permission)
PLATE = "a" * 64

SERVING_ROWS = f"""
INSERT INTO serving.daily_sales (sales_date, product_id, country, product_name, category_id, category_name,
  orders, units, gross_revenue, discount_amount, net_revenue) VALUES
  ('1997-01-02', 11, 'Germany', 'Queso Cabrales', 4, 'Dairy Products', 2, 30, 420.00, 0.00, 420.00),
  ('1997-01-02', 42, 'France', 'Singaporean Hokkien Fried Mee', 5, 'Grains/Cereals', 1, 10, 98.00, 9.80, 88.20),
  ('1997-01-03', 11, 'France', 'Queso Cabrales', 4, 'Dairy Products', 1, 5, 70.00, 0.00, 70.00),
  ('1997-02-01', 11, 'Germany', 'Queso Cabrales', 4, 'Dairy Products', 1, 1, 14.00, 0.00, 14.00);
INSERT INTO serving.customer_lifetime_value (customer_id, country, first_order_date, last_order_date, orders,
  units, lifetime_revenue, average_order_value) VALUES
  ('ALFKI', 'Germany', '1997-08-25', '1998-04-09', 6, 174, 4273.00, 712.17),
  ('VINET', 'France', '1996-07-04', '1998-05-06', 5, 125, 1480.00, 296.00);
INSERT INTO serving.clickstream_funnel_daily (event_date, sessions, page_view_sessions, product_view_sessions,
  add_to_cart_sessions, checkout_sessions, purchase_sessions, events, conversion_rate) VALUES
  ('1997-01-02', 100, 100, 60, 20, 10, 5, 420, 0.050000);
INSERT INTO serving.market_indicators_beside_sales (indicator_date, country, orders, net_revenue,
  consumer_confidence, freight_index, fx_usd, retail_sales_index) VALUES
  ('1997-01-02', 'France', 1, 88.20, 101.5, NULL, 1.08, NULL);
INSERT INTO serving.vehicle_valuations_latest (plate_sha256, state_code, requested_at, status_code, vehicle,
  mileage, average_market_price, statistical_confidence, requested_date) VALUES
  ('{PLATE}', 'CA', '2026-10-01T09:30:00Z', 200, '2019 Toyota Camry', 42000, 18250.00, 94.0, '2026-10-01'),
  ('{"b" * 64}', 'TX', '2026-10-02T10:00:00Z', 200, NULL, NULL, NULL, NULL, '2026-10-02');
"""


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio, as uvicorn runs the service."""
    return "asyncio"


@pytest.fixture(scope="session")
def identity_provider() -> Iterator[LocalIdentityProvider]:
    """The local OpenID Connect issuer on loopback: a real JWKS over HTTP, tokens signed with its key."""
    with LocalIdentityProvider() as provider:
        yield provider


def service_settings(database, identity_provider: LocalIdentityProvider, **changes) -> ServiceSettings:
    """Settings for ``database`` (the test server's settings) accepting ``identity_provider``'s tokens."""
    values = {
        "db_host": database.host,
        "db_port": database.port,
        "db_name": database.dbname,
        "db_sslmode": "disable",
        "auth_issuer": identity_provider.issuer,
        "auth_audience": identity_provider.audience,
        "auth_jwks_url": identity_provider.jwks_url,
        **changes,
    }
    return ServiceSettings(**values)


@pytest.fixture
def serving_settings(postgres_database, identity_provider) -> ServiceSettings:  # noqa: F811
    """A fresh database with the serving schema (the ETL's own migrations) and a few known rows.

    The API logs in as its own role, ``analytics_service`` (the settings' default), which migration V004
    creates with read grants only: the routes are tested with the privileges they have in AWS.
    """
    import psycopg

    with psycopg.connect(postgres_database.conninfo(), autocommit=True) as connection:
        apply_migrations(connection)
        connection.execute(SERVING_ROWS)
    return service_settings(postgres_database, identity_provider)


@pytest.fixture
def anonymous(serving_settings) -> Iterator[TestClient]:
    """A client without a token (the app started: its pool open)."""
    with TestClient(create_app(serving_settings)) as client:
        yield client


@pytest.fixture
def client(anonymous, identity_provider) -> TestClient:
    """The same app, called with a token granting every scope."""
    anonymous.headers["Authorization"] = f"Bearer {identity_provider.token(ALL_SCOPES)}"
    return anonymous


@contextmanager
def serving(settings) -> Iterator[str]:
    """The app under uvicorn on a loopback port, in a thread; yields its base URL.

    The socket is bound here and handed to uvicorn: a port chosen first and bound later could be taken meanwhile
    by a server of another test process, which the requests would then reach instead."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        if not server.started:
            raise RuntimeError(f"the API did not start on 127.0.0.1:{port} within 10 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        listener.close()


def pytest_collection_modifyitems(items):
    """Give each route's schemathesis test a node id of its own, ``test…[GET /v1/…]`` like its name.

    pytest builds a function's node id from its original name and its parametrize ids; schemathesis makes an
    item per route without either, so every route shares one id, and the parallel runner, which schedules and
    reports by node id, would run one route and drop the others.
    """
    from schemathesis.pytest.plugin import SchemathesisFunction

    for item in items:
        if isinstance(item, SchemathesisFunction):
            item._id = item.parent.id.child(item.originalname).with_params(item.operation_label)
