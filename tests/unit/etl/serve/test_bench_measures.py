"""The benchmark's yardstick and meters: DuckDB's aggregates match Spark's, memory readings are real."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from etl.bench.duckdb_aggregates import CHECKSUM_COLUMN, run_duckdb_aggregates
from etl.bench.memory import children_peak_rss_bytes, driver_peak_rss_bytes, jvm_pid, process_peak_rss_bytes
from etl.bench.run import SizeResult, results_document
from etl.serve.load import build_aggregates, needed_datasets, read_curated


def test_duckdb_computes_the_same_aggregates_as_spark_from_the_same_curated_parquet(spark, curated_lake):
    tables = needed_datasets()
    spark_checks = {
        table: tuple(frame.agg(F.count("*"), F.sum(CHECKSUM_COLUMN[table])).first())
        for table, frame in build_aggregates(read_curated(spark, curated_lake, tables)).items()
        if table in CHECKSUM_COLUMN
    }

    duck = run_duckdb_aggregates(curated_lake.root / "curated", threads=1)

    assert {table: (count, str(total)) for table, (count, total) in spark_checks.items()} == {
        table: (duck.rows[table], duck.totals[table]) for table in duck.rows
    }
    assert duck.seconds > 0 and duck.peak_rss_bytes > 0


def test_memory_readings_come_from_the_live_processes(spark):
    java = jvm_pid(spark)

    assert b"java" in Path(f"/proc/{java}/cmdline").read_bytes()
    assert process_peak_rss_bytes(java) > 50 * 1024**2
    assert process_peak_rss_bytes(os.getpid()) <= driver_peak_rss_bytes() + 1024**2
    assert children_peak_rss_bytes() >= 0


def test_a_process_status_without_a_peak_line_is_an_error(tmp_path):
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "status").write_text("Name:\tx\nVmRSS:\t100 kB\n")
    with pytest.raises(ValueError, match="no VmHWM"):
        process_peak_rss_bytes(7, proc=tmp_path)


def _size(order_lines: int, rows_landed: int, spark_seconds: float) -> SizeResult:
    return SizeResult(
        order_lines=order_lines,
        events=order_lines * 10,
        generate_seconds=None,
        ingest_seconds=1.0,
        curate_seconds=spark_seconds - 1.0,
        curate_seconds_by_dataset={"clickstream_events": 2.0},
        spark_jobs_by_dataset={"clickstream_events": 9},
        spark_actions_by_dataset={"clickstream_events": 3},
        spark_aggregate_seconds=1.0,
        spark_seconds=spark_seconds,
        rows_landed=rows_landed,
        rows_curated=rows_landed,
        rows_quarantined=0,
        balanced=True,
        rows_per_second=rows_landed / spark_seconds,
        duckdb_aggregate_seconds=0.5,
        spark_to_duckdb_aggregate_ratio=2.0,
        aggregates_agree=True,
        spark_jvm_peak_rss_bytes=1,
        driver_peak_rss_bytes=1,
        duckdb_peak_rss_bytes=1,
        duckdb_clickstream_seconds=1.0,
        spark_to_duckdb_clickstream_ratio=2.0,
        clickstream_counts_agree=True,
        duckdb_clickstream_peak_rss_bytes=1,
    )


def test_the_results_document_gives_the_ten_times_data_time_ratio_and_the_fixed_cost():
    small, large = _size(10, 1_000, 5.0), _size(100, 10_000, 41.0)

    document = results_document([small, large], {"cores": 2})

    assert document["larger_to_smaller_time_ratio"] == round(41.0 / 5.0, 2)
    # 36 s for 9,000 more rows is 4 ms a row, so the first 1,000 rows took 4 s of the 5: 1 s is fixed.
    assert document["fixed_cost_seconds"] == 1.0
    assert [size["order_lines"] for size in document["sizes"]] == [10, 100]
