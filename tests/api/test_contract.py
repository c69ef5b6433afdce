"""Property-based tests of the API's contract: schemathesis generates requests from the app's own OpenAPI
document (valid and invalid ones) for every route and checks each response against what the document
declares: no server error, a documented status, content type, headers and body model.

The app runs under uvicorn on loopback (its pool open, as in service), against a real PostgreSQL with the
serving schema, called with a token granting every scope. The example count is bounded to keep it quick.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from northwind_analytics.api import create_app
from northwind_analytics.settings import ServiceSettings

from etl.localdev.identity_provider import DEFAULT_AUDIENCE
from etl.serve.migrate import apply_migrations
from tests.api.conftest import ALL_SCOPES, SERVING_ROWS, service_settings, serving

EXAMPLES_PER_ROUTE = 40


@pytest.fixture(scope="module")
def contract_database(postgres_server) -> Iterator[object]:
    """One database for the module, with the serving schema and the known rows."""
    name = "contract_tests"
    admin = postgres_server.model_copy(update={"dbname": "postgres"})
    with psycopg.connect(admin.conninfo(), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    database = postgres_server.model_copy(update={"dbname": name})
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        apply_migrations(connection)
        connection.execute(SERVING_ROWS)
    yield database
    with psycopg.connect(admin.conninfo(), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def live_api(contract_database, identity_provider) -> Iterator[tuple[str, dict[str, str]]]:
    """The base URL of the running app and the headers of an authorized caller."""
    with serving(service_settings(contract_database, identity_provider)) as base_url:
        yield base_url, {"Authorization": f"Bearer {identity_provider.token(ALL_SCOPES, lifetime_seconds=3600)}"}


# Schema-valid requests may still be a 400 where the document says so: a range that ends before it starts or
# spans more than ten years, a cursor the API did not issue (constraints across parameters, or on an opaque
# value, that JSON Schema cannot express).
# Invalid requests may also be refused by the request limits (a target over 2 KiB), before any validation.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404"]},
            "negative_data_rejection": {"expected-statuses": ["400", "401", "403", "404", "413", "414", "422", "431"]},
        }
    }
)
# The document the app serves; building the app opens nothing (its pool opens when it starts).
schema = schemathesis.openapi.from_dict(
    create_app(
        ServiceSettings(
            db_host="127.0.0.1",
            auth_issuer="http://127.0.0.1",
            auth_audience=DEFAULT_AUDIENCE,
            auth_jwks_url="http://127.0.0.1/jwks.json",
        )
    ).openapi(),
    config=CONFIG,
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_ROUTE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_route_honours_its_documented_contract(case, live_api):
    base_url, headers = live_api
    case.call_and_validate(base_url=base_url, headers=headers)


def test_every_route_has_a_property_test_of_its_own():
    """Each route's test has its own node id: the parallel runner runs, and reports, one test per node id."""
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", __file__],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout.splitlines()
    name = test_every_route_honours_its_documented_contract.__name__
    ids = [line.split("::", 1)[1] for line in collected if "::" + name in line]
    assert sorted(ids) == sorted(f"{name}[{result.ok().label}]" for result in schema.get_all_operations())
