"""The serving load from a curated zone into real PostgreSQL tables."""

from __future__ import annotations

from decimal import Decimal as D

import psycopg
import pytest

from etl.contracts import load_contract
from etl.lake import LocalLakeStore
from etl.serve.load import ServingInputError, load_serving
from etl.serve.migrate import apply_migrations
from etl.serve.upsert import table_shape


def _counts(settings, tables):
    with psycopg.connect(settings.conninfo()) as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}


def test_every_table_loads_from_the_curated_zone_and_loading_again_changes_nothing(
    spark, curated_lake, postgres_database
):
    with psycopg.connect(postgres_database.conninfo(), autocommit=True) as connection:
        first = load_serving(spark, curated_lake, connection)
        second = load_serving(spark, curated_lake, connection)
        price = connection.execute("SELECT average_market_price FROM serving.vehicle_valuations_latest").fetchall()

    # Two (day, product, country) sales groups, two customers, one funnel day, the two sales days beside the
    # indicator day one of them shares, and one plate/state with two lookups of which the later one counts.
    expected = {
        "serving.daily_sales": 2,
        "serving.customer_lifetime_value": 2,
        "serving.clickstream_funnel_daily": 1,
        "serving.market_indicators_beside_sales": 2,
        "serving.vehicle_valuations_latest": 1,
    }
    assert {result.table: result.inserted for result in first} == expected
    assert _counts(postgres_database, expected) == expected
    assert price == [(D("11800.00"),)]
    assert [result.changed for result in second] == [0] * len(expected)


def test_a_required_dataset_without_curated_data_is_a_clear_error(spark, postgres_connection, tmp_path):
    with pytest.raises(ServingInputError, match="curated data missing for clickstream_events, customers"):
        load_serving(spark, LocalLakeStore(tmp_path), postgres_connection)


def test_the_vehicle_valuation_table_has_exactly_the_contracts_curated_columns(postgres_connection):
    apply_migrations(postgres_connection)

    shape = table_shape(postgres_connection, "serving.vehicle_valuations_latest")

    assert shape.columns == tuple(field.name for field in load_contract("vehicle_valuations").fields)
    assert shape.primary_key == ("plate_sha256", "state_code")
