"""Migration V005: the serving load's own login, applied by an owner without superuser rights (as the RDS master
user is), on a real PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from etl.serve.connection import ServingDatabaseSettings
from etl.serve.migrate import MIGRATIONS_DIR, MigrationError, apply_migrations, discover

LOAD = "serving_load"


@pytest.fixture
def rds_like_owner(postgres_server: ServingDatabaseSettings) -> Iterator[ServingDatabaseSettings]:
    """A database owned by a login with CREATEROLE and CREATEDB but no superuser, like RDS's master user."""
    suffix = uuid.uuid4().hex[:10]
    owner, database = f"owner_{suffix}", f"rds_like_{suffix}"
    admin = postgres_server.model_copy(update={"dbname": "postgres"})
    with psycopg.connect(admin.conninfo(), autocommit=True) as connection:
        connection.execute(f"CREATE ROLE {owner} LOGIN CREATEROLE CREATEDB")
        connection.execute(f"CREATE DATABASE {database} OWNER {owner}")
    yield postgres_server.model_copy(update={"dbname": database, "user": owner})
    with psycopg.connect(admin.conninfo(), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE {database} WITH (FORCE)")
        connection.execute(f"REASSIGN OWNED BY {owner} TO postgres")
        connection.execute(f"DROP OWNED BY {owner}")
        connection.execute(f"DROP ROLE {owner}")


@pytest.fixture
def as_load(rds_like_owner: ServingDatabaseSettings) -> Iterator[psycopg.Connection]:
    """The load's connection after the owner applied every migration (the test server trusts loopback)."""
    with psycopg.connect(rds_like_owner.conninfo()) as owner:
        apply_migrations(owner)
    with psycopg.connect(rds_like_owner.model_copy(update={"user": LOAD}).conninfo()) as connection:
        yield connection


def test_the_load_owns_the_serving_schema_and_only_records_migrations(as_load):
    owners = as_load.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'serving'").fetchall()
    record = as_load.execute(
        "SELECT has_table_privilege('schema_migrations', 'INSERT'), has_table_privilege('schema_migrations', 'DELETE')"
    ).fetchone()
    attributes = as_load.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = %s", (LOAD,)
    ).fetchone()
    assert owners == [(LOAD,)]
    assert record == (True, False)
    assert attributes == (False, False, False)


def test_the_load_applies_a_later_table_migration_and_the_api_can_read_the_new_table(as_load, tmp_path):
    for migration in discover():
        (tmp_path / migration.file_name).write_bytes(migration.path.read_bytes())
    (tmp_path / "V900__extra_table.sql").write_text("CREATE TABLE serving.extra (id integer PRIMARY KEY);\n")

    applied = apply_migrations(as_load, tmp_path)

    grants = as_load.execute("SELECT has_table_privilege('analytics_service', 'serving.extra', 'SELECT')").fetchone()
    assert [m.file_name for m in applied] == ["V900__extra_table.sql"]
    assert grants == (True,)


def test_a_migration_that_needs_the_owner_is_refused_with_what_to_run(as_load, tmp_path):
    for migration in discover():
        (tmp_path / migration.file_name).write_bytes(migration.path.read_bytes())
    (tmp_path / "V901__another_login.sql").write_text("CREATE ROLE another_login LOGIN;\n")

    with pytest.raises(MigrationError, match=r"V901__another_login\.sql needs the database owner") as raised:
        apply_migrations(as_load, tmp_path)
    assert "serving bootstrap job" in str(raised.value)


def test_the_load_cannot_touch_anything_outside_the_serving_schema(as_load):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_load.execute("CREATE TABLE public.elsewhere (id integer)")


def test_the_migration_folder_ships_the_load_login_migration():
    assert (MIGRATIONS_DIR / "V005__serving_load_role.sql").is_file()
