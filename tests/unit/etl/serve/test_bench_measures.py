"""The benchmark's yardstick and meters: DuckDB's aggregates match Spark's, memory readings are real."""

from __future__ import annotations

import os
from dataclasses import replace
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


def test_the_results_document_gives_the_ten_times_data_time_ratio():
    small = SizeResult(10, 100, None, 1.0, 4.0, {}, 1.0, 5.0, 110, 110, 0, True, 22.0, 0.5, 2.0, True, 1, 1, 1)
    large = replace(small, order_lines=100, events=1_000, spark_seconds=42.5)

    document = results_document([small, large], {"cores": 2})

    assert document["larger_to_smaller_time_ratio"] == round(42.5 / 5.0, 2)
    assert [size["order_lines"] for size in document["sizes"]] == [10, 100]
