"""The whole local pipeline on the Northwind sample, twice, into a real throwaway PostgreSQL."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from concurrent.futures import Future
from datetime import date

import psycopg
import pytest

from etl import pipeline
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


def _daily_units(connection, sales_date: str, product_id: int) -> int:
    return connection.execute(
        "SELECT sum(units) FROM serving.daily_sales WHERE sales_date = %s AND product_id = %s", (sales_date, product_id)
    ).fetchone()[0]


@pytest.mark.slow
def test_the_local_pipeline_balances_fills_the_serving_tables_changes_nothing_when_run_again_and_serves_corrections(
    spark, northwind_sample_dir, tmp_path, postgres_database
):
    source = tmp_path / "export"
    shutil.copytree(northwind_sample_dir, source)
    config = PipelineConfig(
        lake=tmp_path / "lake",
        source=source,
        local_dir=tmp_path,
        run_date=date(2026, 11, 29),
        clickstream_events=3_000,
        clickstream_days=1,
    )
    progress: list[str] = []

    first = run_pipeline(config, spark, postgres_database, progress.append)
    second = run_pipeline(config, _started(spark), postgres_database, progress.append)

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
    # Incremental orders land nothing when no record changed; every other file is a no-op.
    redelivered = {"customers", "products", "clickstream_events", "market_indicators"}
    assert {name: second.datasets[name].files_skipped for name in redelivered} == {
        name: first.datasets[name].files_landed for name in redelivered
    }
    assert all(line.balanced for line in second.datasets.values())
    assert [(result.table, result.changed) for result in second.tables] == [(table, 0) for table in expected]
    assert any("serve" in message for message in progress)

    orders, lines = source / "orders.csv", source / "order-details.csv"
    orders.write_text(orders.read_text().replace(",3,32.38,", ",3,99.99,", 1))
    lines.write_text(lines.read_text().replace("10248,11,14.00,12,0", "10248,11,14.00,15,0", 1))
    corrected = run_pipeline(config, spark, postgres_database, progress.append)

    assert {name: corrected.datasets[name].rows_updated for name in ("orders", "order_lines")} == {
        "orders": 1,
        "order_lines": 1,
    }
    assert all(line.balanced for line in corrected.datasets.values())
    changed = {result.table: result.updated for result in corrected.tables}
    assert changed["serving.daily_sales"] == 1 and changed["serving.customer_lifetime_value"] == 1
    with psycopg.connect(postgres_database.conninfo()) as connection:
        assert _daily_units(connection, "1996-07-04", 11) == 15


def _started(session):
    """A session already started, as ``start_local_session`` hands it over once it is up."""
    future = Future()
    future.set_result(session)
    return future


@pytest.mark.slow
def test_a_dataset_failing_with_an_error_leaves_the_others_curated_and_its_dependants_not_run(
    spark, northwind_sample_dir, tmp_path, postgres_database, monkeypatch
):
    config = PipelineConfig(
        lake=tmp_path / "lake",
        source=northwind_sample_dir,
        local_dir=tmp_path,
        run_date=date(2026, 11, 29),
        clickstream_events=500,
        clickstream_days=1,
    )
    curate = pipeline.curate_dataset

    def failing_customers(session, store, dataset, *args, **kwargs):
        if dataset == "customers":
            raise RuntimeError("customers broke")
        return curate(session, store, dataset, *args, **kwargs)

    monkeypatch.setattr(pipeline, "curate_dataset", failing_customers)
    progress: list[str] = []

    with pytest.raises(RuntimeError, match="customers broke"):
        run_pipeline(config, _started(spark), postgres_database, progress.append)

    reports = {path.stem for path in (tmp_path / "lake" / "reports").rglob("*.json")}
    assert {"products", "clickstream_events", "market_indicators"} <= reports
    assert not {"customers", "orders", "order_lines"} & reports
    assert "  [red]customers: failed[/red]: customers broke" in progress
    assert "  [red]orders: not run: customers failed[/red]" in progress
    assert "  [red]order_lines: not run: orders failed[/red]" in progress
    assert not any("serve" in message for message in progress)
