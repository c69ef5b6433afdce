"""Migration V004: the analytics API's read-only login, on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from etl.serve.connection import ServingDatabaseSettings
from etl.serve.migrate import MIGRATIONS_DIR, apply_migrations

ROLE = "analytics_service"
ROLE_MIGRATION = MIGRATIONS_DIR / "V004__analytics_service_role.sql"
WRITES = {
    "insert": "INSERT INTO serving.clickstream_funnel_daily (event_date, sessions, page_view_sessions, "
    "product_view_sessions, add_to_cart_sessions, checkout_sessions, purchase_sessions, events, conversion_rate) "
    "VALUES ('1997-01-02', 1, 1, 1, 1, 1, 1, 1, 1)",
    "update": "UPDATE serving.clickstream_funnel_daily SET sessions = 0",
    "delete": "DELETE FROM serving.clickstream_funnel_daily",
    "truncate": "TRUNCATE serving.clickstream_funnel_daily",
}


@pytest.fixture
def migrated(postgres_connection: psycopg.Connection) -> psycopg.Connection:
    """The owner's connection to a fresh database with every serving migration applied."""
    apply_migrations(postgres_connection)
    return postgres_connection


@pytest.fixture
def as_service(
    postgres_database: ServingDatabaseSettings, migrated: psycopg.Connection
) -> Iterator[psycopg.Connection]:
    """A connection to the migrated database as the analytics service (the test server trusts loopback)."""
    service = postgres_database.model_copy(update={"user": ROLE})
    with psycopg.connect(service.conninfo(), autocommit=True) as connection:
        yield connection


@pytest.fixture
def rds_iam_role(postgres_connection: psycopg.Connection) -> Iterator[str]:
    """The ``rds_iam`` role RDS provides, created on the local server for one test and dropped after it."""
    postgres_connection.execute("CREATE ROLE rds_iam NOLOGIN")
    yield "rds_iam"
    postgres_connection.execute("DROP ROLE rds_iam")


def _serving_tables(connection: psycopg.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'serving' ORDER BY table_name"
    )
    return [name for (name,) in rows]


def _memberships(connection: psycopg.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT roleid::regrole::text FROM pg_auth_members WHERE member = %s::regrole ORDER BY 1", (ROLE,)
    )
    return [name for (name,) in rows]


def test_the_migrations_create_a_login_role_without_a_password(migrated):
    assert migrated.execute(
        "SELECT rolcanlogin, rolpassword IS NULL, rolsuper, rolcreaterole, rolcreatedb FROM pg_authid "
        "WHERE rolname = %s",
        (ROLE,),
    ).fetchall() == [(True, True, False, False, False)]


def test_the_service_reads_every_serving_table(migrated, as_service):
    tables = _serving_tables(migrated)
    migrated.execute(
        "INSERT INTO serving.clickstream_funnel_daily VALUES ('1997-01-02', 100, 100, 60, 20, 10, 5, 420, 0.05)"
    )

    counts = {table: as_service.execute(f"SELECT count(*) FROM serving.{table}").fetchone()[0] for table in tables}

    assert "clickstream_funnel_daily" in tables
    # serving.table_versions holds one row per serving table (the API's response cache reads it).
    data_tables = [table for table in tables if table != "table_versions"]
    assert counts == {
        **{table: int(table == "clickstream_funnel_daily") for table in data_tables},
        "table_versions": len(data_tables),
    }


@pytest.mark.parametrize("statement", WRITES.values(), ids=WRITES.keys())
def test_the_service_cannot_write_serving_tables(as_service, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
        as_service.execute(statement)


def test_the_service_holds_only_select_on_serving_tables(migrated):
    privileges = migrated.execute(
        "SELECT DISTINCT privilege_type FROM information_schema.role_table_grants WHERE grantee = %s", (ROLE,)
    ).fetchall()
    assert privileges == [("SELECT",)]


def test_tables_the_owner_creates_later_are_readable_by_the_service(migrated, as_service):
    migrated.execute("CREATE TABLE serving.later_aggregate (id integer PRIMARY KEY)")

    assert as_service.execute("SELECT count(*) FROM serving.later_aggregate").fetchone() == (0,)


def test_without_rds_iam_the_role_is_a_member_of_nothing(migrated):
    assert _memberships(migrated) == []


def test_where_rds_iam_exists_the_role_is_granted_it(rds_iam_role, migrated):
    assert _memberships(migrated) == [rds_iam_role]


def test_running_the_role_migration_again_changes_nothing(rds_iam_role, migrated):
    before = (_memberships(migrated), _serving_tables(migrated))
    migrated.execute(ROLE_MIGRATION.read_text(encoding="utf-8"))

    assert (_memberships(migrated), _serving_tables(migrated)) == before
    assert migrated.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone() == (1,)
