"""Idempotent upserts into a real PostgreSQL table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from etl.serve.upsert import ServingSchemaError, upsert_rows

COLUMNS = ("sales_date", "country", "orders", "net_revenue")
ROWS = [
    (date(1997, 1, 1), "Germany", 2, D("36.50")),
    (date(1997, 1, 1), "France", 1, D("9.00")),
    (date(1997, 1, 2), "Germany", 1, D("34.20")),
]


@pytest.fixture
def table(postgres_connection):
    postgres_connection.execute(
        "CREATE SCHEMA serving; CREATE TABLE serving.sales (sales_date date, country text, orders bigint, "
        "net_revenue numeric(18,2), updated_at timestamptz NOT NULL DEFAULT now(), "
        "PRIMARY KEY (sales_date, country))"
    )
    return "serving.sales"


def _contents(connection, table):
    return connection.execute(f"SELECT {', '.join(COLUMNS)} FROM {table} ORDER BY 1, 2").fetchall()


def test_a_first_load_inserts_every_row(postgres_connection, table):
    result = upsert_rows(postgres_connection, table, COLUMNS, ROWS)

    assert (result.rows, result.inserted, result.updated, result.deleted) == (3, 3, 0, 0)
    assert _contents(postgres_connection, table) == sorted(ROWS)


def test_loading_the_same_rows_again_changes_nothing(postgres_connection, table):
    upsert_rows(postgres_connection, table, COLUMNS, ROWS)
    stamps = postgres_connection.execute(f"SELECT updated_at FROM {table} ORDER BY 1").fetchall()

    again = upsert_rows(postgres_connection, table, COLUMNS, ROWS)

    assert (again.rows, again.changed) == (3, 0)
    assert postgres_connection.execute(f"SELECT updated_at FROM {table} ORDER BY 1").fetchall() == stamps


def test_changed_values_update_their_rows_and_vanished_keys_are_deleted(postgres_connection, table):
    upsert_rows(postgres_connection, table, COLUMNS, ROWS)
    revised = [(date(1997, 1, 1), "Germany", 3, D("40.00")), ROWS[2], (date(1997, 1, 3), "Spain", 1, D("1.00"))]

    result = upsert_rows(postgres_connection, table, COLUMNS, revised)

    assert (result.inserted, result.updated, result.deleted, result.changed) == (1, 1, 1, 3)
    assert _contents(postgres_connection, table) == sorted(revised)


def test_a_value_becoming_null_counts_as_a_change(postgres_connection, table):
    upsert_rows(postgres_connection, table, COLUMNS, ROWS)
    result = upsert_rows(postgres_connection, table, COLUMNS, [(*ROWS[0][:3], None), *ROWS[1:]])

    assert result.updated == 1


def test_columns_that_do_not_match_the_table_are_refused_and_nothing_loads(postgres_connection, table):
    with pytest.raises(ServingSchemaError, match=r"missing \['net_revenue'\], unexpected \['revenue'\]"):
        upsert_rows(postgres_connection, table, (*COLUMNS[:3], "revenue"), ROWS)
    assert _contents(postgres_connection, table) == []


def test_a_repeated_key_in_the_aggregate_is_refused_and_nothing_loads(postgres_connection, table):
    with pytest.raises(ServingSchemaError, match="repeats the key"):
        upsert_rows(postgres_connection, table, COLUMNS, [*ROWS, ROWS[0]])
    assert _contents(postgres_connection, table) == []


def test_a_table_that_does_not_exist_is_a_clear_error(postgres_connection):
    with pytest.raises(ServingSchemaError, match=r"serving\.nothing does not exist; apply the migrations"):
        upsert_rows(postgres_connection, "serving.nothing", COLUMNS, ROWS)
