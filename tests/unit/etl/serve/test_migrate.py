"""The migration runner: versions and checksums recorded, changed migrations refused."""

from __future__ import annotations

import shutil

import pytest

from etl.serve.migrate import MIGRATIONS_DIR, MigrationError, apply_migrations, discover


@pytest.fixture
def migrations(tmp_path):
    folder = tmp_path / "migrations"
    (folder).mkdir()
    (folder / "V001__create_things.sql").write_text("CREATE TABLE things (id integer PRIMARY KEY);\n")
    (folder / "V002__add_name.sql").write_text("ALTER TABLE things ADD COLUMN name text;\n")
    return folder


def _recorded(connection):
    return connection.execute("SELECT version, name, checksum FROM schema_migrations ORDER BY version").fetchall()


def test_pending_migrations_apply_in_order_and_are_recorded_with_their_checksums(postgres_connection, migrations):
    applied = apply_migrations(postgres_connection, migrations)

    assert [m.file_name for m in applied] == ["V001__create_things.sql", "V002__add_name.sql"]
    assert _recorded(postgres_connection) == [(m.version, m.name, m.checksum) for m in discover(migrations)]
    postgres_connection.execute("INSERT INTO things (id, name) VALUES (1, 'chai')")


def test_applying_again_does_nothing_and_a_new_file_applies_alone(postgres_connection, migrations):
    apply_migrations(postgres_connection, migrations)
    assert apply_migrations(postgres_connection, migrations) == []

    (migrations / "V003__add_price.sql").write_text("ALTER TABLE things ADD COLUMN price numeric;\n")
    assert [m.version for m in apply_migrations(postgres_connection, migrations)] == [3]


def test_a_changed_applied_migration_is_refused_naming_the_file(postgres_connection, migrations):
    apply_migrations(postgres_connection, migrations)
    (migrations / "V002__add_name.sql").write_text("ALTER TABLE things ADD COLUMN title text;\n")

    with pytest.raises(MigrationError, match=r"V002__add_name\.sql changed after it was applied"):
        apply_migrations(postgres_connection, migrations)


def test_an_applied_migration_missing_from_the_folder_is_refused(postgres_connection, migrations):
    apply_migrations(postgres_connection, migrations)
    (migrations / "V002__add_name.sql").unlink()

    with pytest.raises(MigrationError, match="V002__add_name applied but it is not in"):
        apply_migrations(postgres_connection, migrations)


def test_a_failing_migration_leaves_nothing_recorded_for_it(postgres_connection, migrations):
    (migrations / "V003__broken.sql").write_text("CREATE TABLE more (id integer);\nSELECT no_such_function();\n")

    with pytest.raises(Exception, match="no_such_function"):
        apply_migrations(postgres_connection, migrations)

    assert [row[0] for row in _recorded(postgres_connection)] == [1, 2]
    assert postgres_connection.execute("SELECT to_regclass('more')").fetchone() == (None,)


@pytest.mark.parametrize(
    ("names", "problem"),
    [(["V1__short.sql"], "not named V<NNN>__"), (["V001__a.sql", "V0001__b.sql"], "share version 1")],
)
def test_badly_named_or_repeated_migration_files_are_refused(tmp_path, names, problem):
    for name in names:
        (tmp_path / name).write_text("SELECT 1;\n")
    with pytest.raises(MigrationError, match=problem):
        discover(tmp_path)


def test_the_serving_migrations_apply_to_an_empty_database(postgres_connection, tmp_path):
    shutil.copytree(MIGRATIONS_DIR, tmp_path / "serving")
    applied = apply_migrations(postgres_connection, tmp_path / "serving")

    tables = {
        row[0]
        for row in postgres_connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'serving'"
        )
    }
    assert [m.version for m in applied] == [m.version for m in discover(MIGRATIONS_DIR)]
    assert {
        "daily_sales",
        "customer_lifetime_value",
        "clickstream_funnel_daily",
        "market_indicators_beside_sales",
    } <= tables
