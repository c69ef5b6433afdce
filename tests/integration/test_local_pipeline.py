"""The whole local pipeline on the Northwind sample, twice, into a real throwaway PostgreSQL."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import date

import psycopg
import pytest

from etl.pipeline import PipelineConfig, run_pipeline


def _csv_records(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


def _expected_serving_rows(sample_dir, generated_dir):
    """Serving row counts worked out from the source files themselves (every sample row is valid)."""
    orders = {record[0]: (record[3][:10], record[-1], record[1]) for record in _csv_records(sample_dir / "orders.csv")}
    lines = _csv_records(sample_dir / "order-details.csv")
    sales_keys = {(orders[order_id][0], product_id, orders[order_id][1]) for order_id, product_id, *_ in lines}
    day_country_sales = {(orders[line[0]][0], orders[line[0]][1]) for line in lines}
    indicator_keys = {
        (record[0], record[1])
        for path in (generated_dir / "market-drop" / "done").glob("*.csv")
        for record in _csv_records(path)
    }
    event_days = {
        json.loads(line)["event_time"][:10]
        for path in (generated_dir / "clickstream").glob("*.jsonl.gz")
        for line in gzip.decompress(path.read_bytes()).splitlines()
    }
    return {
        "serving.daily_sales": len(sales_keys),
        "serving.customer_lifetime_value": len({customer for _, _, customer in orders.values()}),
        "serving.clickstream_funnel_daily": len(event_days),
        "serving.market_indicators_beside_sales": len(day_country_sales | indicator_keys),
    }


@pytest.mark.slow
def test_the_local_pipeline_balances_fills_the_serving_tables_and_changes_nothing_when_run_again(
    spark, northwind_sample_dir, tmp_path, postgres_database
):
    config = PipelineConfig(
        lake=tmp_path / "lake",
        source=northwind_sample_dir,
        local_dir=tmp_path,
        run_date=date(2026, 11, 29),
        clickstream_events=3_000,
        clickstream_days=1,
    )
    progress: list[str] = []

    first = run_pipeline(config, spark, postgres_database, progress.append)
    second = run_pipeline(config, spark, postgres_database, progress.append)

    sample_rows = {
        "orders": len(_csv_records(northwind_sample_dir / "orders.csv")),
        "order_lines": len(_csv_records(northwind_sample_dir / "order-details.csv")),
        "customers": len(_csv_records(northwind_sample_dir / "customers.csv")),
        "products": len(_csv_records(northwind_sample_dir / "products.csv")),
        "clickstream_events": 3_000,
    }
    assert all(line.balanced for line in first.datasets.values())
    assert {name: first.datasets[name].rows_landed for name in sample_rows} == sample_rows
    expected = _expected_serving_rows(northwind_sample_dir, config.generated_dir)
    assert {result.table: result.inserted for result in first.tables} == expected
    with psycopg.connect(postgres_database.conninfo()) as connection:
        stored = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in expected}
    assert stored == expected

    assert sum(line.files_landed + line.new_versions for line in second.datasets.values()) == 0
    # Incremental orders land nothing when no order is newer than the watermark; every other file is a no-op.
    redelivered = {"customers", "products", "clickstream_events", "market_indicators"}
    assert {name: second.datasets[name].files_skipped for name in redelivered} == {
        name: first.datasets[name].files_landed for name in redelivered
    }
    assert all(line.balanced for line in second.datasets.values())
    assert [(result.table, result.changed) for result in second.tables] == [(table, 0) for table in expected]
    assert any("serve" in message for message in progress)
