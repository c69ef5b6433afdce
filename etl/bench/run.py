"""One benchmark run: generate, land, curate, aggregate (Spark), aggregate again (DuckDB), measure."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from etl.bench.duckdb_aggregates import CHECKSUM_COLUMN, DuckDbRun, run_duckdb_aggregates
from etl.bench.duckdb_clickstream import DATASET as PEER_DATASET
from etl.bench.duckdb_clickstream import DuckDbCuration, run_duckdb_clickstream
from etl.bench.memory import driver_peak_rss_bytes, jvm_pid, process_peak_rss_bytes
from etl.curate import curate_dataset
from etl.curate.pseudonymize import resolve_pseudonym_key
from etl.generate.dataset import CLICKSTREAM_FOLDER, MARKET_DROP_FOLDER, GeneratorSpec, generate
from etl.ingest.catalog import CatalogApiClient, CatalogApiSettings, ingest_catalog
from etl.ingest.clickstream import ingest_clickstream
from etl.ingest.market import ingest_market_drop
from etl.ingest.orders import OrdersMode, ingest_orders_export
from etl.lake import LocalLakeStore
from etl.localdev.catalog_api import MAX_PAGE_SIZE, LocalCatalogApi
from etl.pipeline import CURATED_DATASETS
from etl.serve.load import build_aggregates, loadable_tables, needed_datasets, read_curated
from etl.spark import counted_spark_work

COMPLETE_MARKER = ".complete.json"


@dataclass(frozen=True)
class BenchSize:
    """How much to generate for one measured run (the clickstream spans ``clickstream_days``, default 30)."""

    order_lines: int
    events: int
    clickstream_days: int = 30


@dataclass(frozen=True)
class SizeResult:
    """The figures of one measured run (seconds, rows, bytes)."""

    order_lines: int
    events: int
    generate_seconds: float | None  # None when an identical generated folder was reused
    ingest_seconds: float
    curate_seconds: float
    curate_seconds_by_dataset: dict[str, float]
    spark_jobs_by_dataset: dict[str, int]
    spark_actions_by_dataset: dict[str, int]
    spark_aggregate_seconds: float
    spark_seconds: float  # curation plus aggregates: the measured work
    rows_landed: int
    rows_curated: int
    rows_quarantined: int
    balanced: bool
    rows_per_second: float
    duckdb_aggregate_seconds: float
    spark_to_duckdb_aggregate_ratio: float
    aggregates_agree: bool
    spark_jvm_peak_rss_bytes: int
    driver_peak_rss_bytes: int
    duckdb_peak_rss_bytes: int
    duckdb_clickstream_seconds: float
    spark_to_duckdb_clickstream_ratio: float
    clickstream_counts_agree: bool  # curated, quarantined and latest rows equal in Spark and DuckDB
    duckdb_clickstream_peak_rss_bytes: int


def generated_source(size: BenchSize, seed: int, sample_dir: Path, work_dir: Path) -> tuple[Path, float | None]:
    """The generated folder for ``size`` (reused when a complete identical one exists) and generation time."""
    spec = GeneratorSpec(
        order_lines=size.order_lines,
        events=size.events,
        seed=seed,
        sample_dir=sample_dir,
        clickstream_days=size.clickstream_days,
    )
    folder = work_dir / "sources" / f"lines-{size.order_lines}-events-{size.events}-seed-{seed}"
    marker = folder / COMPLETE_MARKER
    description = json.dumps(asdict(size) | {"seed": seed})
    if marker.is_file() and marker.read_text() == description:
        return folder, None
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    generate(spec, folder)
    marker.write_text(description)
    return folder, time.perf_counter() - started


def land_everything(source: Path, lake: Path, run_date: date) -> None:
    """Land the generated folder into a new lake (the market drop is copied: landing moves files away)."""
    shutil.rmtree(lake, ignore_errors=True)
    store = LocalLakeStore(lake)
    drop = lake.parent / f"{lake.name}-market-drop"
    shutil.rmtree(drop, ignore_errors=True)
    shutil.copytree(source / MARKET_DROP_FOLDER, drop)
    ingest_orders_export(store, source, run_date, OrdersMode.BATCH)
    with LocalCatalogApi(source, "bench") as api:
        settings = CatalogApiSettings(api.base_url, "bench", page_size=MAX_PAGE_SIZE)
        ingest_catalog(store, CatalogApiClient(settings), run_date)
    ingest_clickstream(store, source / CLICKSTREAM_FOLDER, run_date)
    ingest_market_drop(store, drop, run_date)


def spark_aggregates(spark: SparkSession, store: LocalLakeStore) -> tuple[float, dict[str, tuple[int, str]]]:
    """Seconds to compute every serving aggregate in Spark (fully, into a no-op sink), then each one's row count
    and checksum total (outside the timing)."""
    started = time.perf_counter()
    tables = loadable_tables(store)
    curated = read_curated(spark, store, needed_datasets(tables))
    aggregates = build_aggregates(curated, tables)
    for frame in aggregates.values():
        frame.write.format("noop").mode("overwrite").save()
    seconds = time.perf_counter() - started
    checks = {}
    for table, frame in aggregates.items():
        if table not in CHECKSUM_COLUMN:  # DuckDB has no counterpart to compare with
            continue
        count, total = frame.agg(F.count("*"), F.sum(CHECKSUM_COLUMN[table])).first()
        checks[table] = (int(count), str(total))
    return seconds, checks


def in_own_process(function, *args):
    """``function(*args)`` in a fresh process, so DuckDB's memory is its own and not the driver's."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def measure(
    spark: SparkSession, size: BenchSize, seed: int, sample_dir: Path, work_dir: Path, run_date: date
) -> SizeResult:
    """Generate (or reuse), land, then time curation and aggregates in Spark and the aggregates in DuckDB."""
    source, generate_seconds = generated_source(size, seed, sample_dir, work_dir)
    lake = work_dir / f"lake-{size.order_lines}"
    started = time.perf_counter()
    land_everything(source, lake, run_date)
    ingest_seconds = time.perf_counter() - started
    store = LocalLakeStore(lake)

    by_dataset, jobs, actions, reports = {}, {}, {}, {}
    pseudonym_key = resolve_pseudonym_key()
    for dataset in CURATED_DATASETS:
        began = time.perf_counter()
        with counted_spark_work(spark, f"curate {dataset}") as work:
            reports[dataset] = curate_dataset(
                spark, store, dataset, run_date, lookback_days=0, pseudonym_key=pseudonym_key
            )
        by_dataset[dataset] = round(time.perf_counter() - began, 2)
        jobs[dataset], actions[dataset] = work.jobs, work.actions
    curate_seconds = sum(by_dataset.values())
    aggregate_seconds, spark_checks = spark_aggregates(spark, store)
    duck: DuckDbRun = in_own_process(run_duckdb_aggregates, lake / "curated")
    peer: DuckDbCuration = in_own_process(
        run_duckdb_clickstream, lake, run_date, pseudonym_key, work_dir / f"duckdb-{size.order_lines}"
    )
    spark_peer = reports[PEER_DATASET]
    spark_latest = spark_peer.rows_inserted + spark_peer.rows_updated + spark_peer.rows_unchanged
    duck_checks = {table: (duck.rows[table], duck.totals[table]) for table in duck.rows}

    reports = list(reports.values())
    rows_landed = sum(report.rows_landed for report in reports)
    spark_seconds = curate_seconds + aggregate_seconds
    return SizeResult(
        order_lines=size.order_lines,
        events=size.events,
        generate_seconds=None if generate_seconds is None else round(generate_seconds, 2),
        ingest_seconds=round(ingest_seconds, 2),
        curate_seconds=round(curate_seconds, 2),
        curate_seconds_by_dataset=by_dataset,
        spark_jobs_by_dataset=jobs,
        spark_actions_by_dataset=actions,
        spark_aggregate_seconds=round(aggregate_seconds, 2),
        spark_seconds=round(spark_seconds, 2),
        rows_landed=rows_landed,
        rows_curated=sum(report.rows_curated for report in reports),
        rows_quarantined=sum(report.rows_quarantined for report in reports),
        balanced=all(report.balanced for report in reports),
        rows_per_second=round(rows_landed / spark_seconds),
        duckdb_aggregate_seconds=round(duck.seconds, 2),
        spark_to_duckdb_aggregate_ratio=round(aggregate_seconds / duck.seconds, 2),
        aggregates_agree=spark_checks == duck_checks,
        spark_jvm_peak_rss_bytes=process_peak_rss_bytes(jvm_pid(spark)),
        driver_peak_rss_bytes=driver_peak_rss_bytes(),
        duckdb_peak_rss_bytes=duck.peak_rss_bytes,
        duckdb_clickstream_seconds=peer.seconds,
        spark_to_duckdb_clickstream_ratio=round(by_dataset[PEER_DATASET] / peer.seconds, 2),
        clickstream_counts_agree=(spark_peer.rows_curated, spark_peer.rows_quarantined, spark_latest)
        == (peer.rows_curated, peer.rows_quarantined, peer.rows_latest),
        duckdb_clickstream_peak_rss_bytes=peer.peak_rss_bytes,
    )


def scaling_ratio(small: SizeResult, large: SizeResult) -> float:
    """How many times longer the large run's Spark work took than the small run's."""
    return round(large.spark_seconds / small.spark_seconds, 2)


def fixed_cost_seconds(small: SizeResult, large: SizeResult) -> float:
    """The Spark work's time at zero rows, on the line through the two sizes: what every run pays however small
    (None-free: 0 when the line meets the axis below zero)."""
    slope = (large.spark_seconds - small.spark_seconds) / (large.rows_landed - small.rows_landed)
    return round(max(small.spark_seconds - slope * small.rows_landed, 0.0), 2)


def results_document(results: list[SizeResult], machine: dict[str, object]) -> dict[str, object]:
    """The JSON document written under bench-results/."""
    compared = len(results) > 1 and results[-1].rows_landed > results[0].rows_landed
    return {
        "machine": machine,
        "sizes": [asdict(result) for result in results],
        "larger_to_smaller_time_ratio": scaling_ratio(results[0], results[-1]) if len(results) > 1 else None,
        "fixed_cost_seconds": fixed_cost_seconds(results[0], results[-1]) if compared else None,
    }
