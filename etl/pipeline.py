"""``python -m etl.pipeline`` (``make pipeline``): the whole platform on one machine, end to end.

Stages: prepare the sources (the Northwind export as orders and catalog; generated clickstream and market
indicators for its customers and products), land everything in the raw zone (the catalog over HTTP from a
local API on loopback), curate every dataset with its contract, and load the serving aggregates into a
throwaway PostgreSQL server started and stopped by the command. Everything is deterministic: a second run
lands no file and changes no row.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import psycopg
import typer
from pyspark.errors import PySparkRuntimeError
from pyspark.sql import SparkSession
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from etl.contracts import reference_order
from etl.curate import DatasetRunReport, RunStatus, curate_dataset
from etl.curate.concurrent import curate_concurrently
from etl.curate.pseudonymize import resolve_pseudonym_key
from etl.generate.dataset import CLICKSTREAM_FOLDER, MARKET_DROP_FOLDER, CompanionSpec, write_sample_companions
from etl.generate.sample import SampleError
from etl.ingest.catalog import CatalogApiClient, CatalogApiSettings, ingest_catalog
from etl.ingest.clickstream import ingest_clickstream
from etl.ingest.errors import IngestError
from etl.ingest.landing import LandingReport
from etl.ingest.market import ingest_market_drop
from etl.ingest.orders import OrdersMode, ingest_orders_export
from etl.lake import LakeStore, LocalLakeStore
from etl.localdev.catalog_api import LocalCatalogApi
from etl.localdev.postgres import LocalPostgres, LocalPostgresError
from etl.samples import NORTHWIND_EXPORT
from etl.serve.connection import ServingDatabaseSettings
from etl.serve.load import ServingInputError, load_serving
from etl.serve.migrate import MigrationError
from etl.serve.upsert import ServingSchemaError, UpsertResult
from etl.sla import Freshness, measure, record_curation, share_within_sla
from etl.spark import build_local_session

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LOCAL_DIR = REPO_ROOT / ".local"
DEFAULT_SOURCE = NORTHWIND_EXPORT
# Parents before the datasets whose foreign keys reference them, so references are checked against this run.
CURATED_DATASETS = reference_order(
    (
        "orders",
        "order_lines",
        "customers",
        "products",
        "clickstream_events",
        "market_indicators",
        # Landed by the valuation client's cache, not by this command: curated when lookups have been made.
        "vehicle_valuations",
    )
)
SAMPLE_SEED = 5
# A fixed recent week (the clickstream contract accepts events from 2000 on), so every run generates the same.
SAMPLE_CLICKSTREAM_START = date(2026, 10, 24)
# Market indicators for the sample's last five weeks of orders: enough days beside sales to read, few enough
# daily partitions to keep the local run quick.
SAMPLE_MARKET_START = date(1998, 4, 1)
SAMPLE_MARKET_END = date(1998, 5, 6)


class PipelineConfigError(ValueError):
    """An option of the pipeline is unusable; the message names it and how to fix it."""


@dataclass(frozen=True)
class PipelineConfig:
    """One local run: where the lake, the sources and the generated files live, and which day it processes.

    ``lookback_days`` (default 3) is how many earlier days of landed files curation re-reads; ``orders_mode``
    defaults to incremental (new and changed records, by the digests kept in the lake); the generated clickstream
    has ``clickstream_events`` events (default 20,000) over ``clickstream_days`` days (default 7).
    """

    lake: Path
    source: Path
    local_dir: Path
    run_date: date
    lookback_days: int = 3
    orders_mode: OrdersMode = OrdersMode.INCREMENTAL
    clickstream_events: int = 20_000
    clickstream_days: int = 7

    def __post_init__(self) -> None:
        if not (self.source / "orders.csv").is_file():
            raise PipelineConfigError(
                f"--source {self.source} has no orders.csv; point it at a Northwind export folder"
            )
        if self.lookback_days < 0:
            raise PipelineConfigError(f"--lookback-days must be 0 or more, got {self.lookback_days}")

    @property
    def generated_dir(self) -> Path:
        """Where the generated clickstream and market drop folders are written."""
        return self.local_dir / "sources"


@dataclass
class DatasetSummary:
    """One dataset's line in the closing summary: files landed by this run, and both sides of the curation
    run's balance (rows the landing manifest records for the files read; rows curated and quarantined), with
    how many of the latest rows were new keys and corrections."""

    dataset: str
    files_landed: int = 0
    files_skipped: int = 0
    new_versions: int = 0
    rows_landed: int = 0
    rows_curated: int = 0
    rows_quarantined: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    balanced: bool = True
    status: str = "not run"


@dataclass
class PipelineSummary:
    """What a run did, per dataset and per serving table."""

    datasets: dict[str, DatasetSummary] = field(default_factory=dict)
    tables: list[UpsertResult] = field(default_factory=list)
    freshness: list[Freshness] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every dataset balanced and no file of any had breaking schema drift."""
        return all(s.balanced and s.status != RunStatus.SCHEMA_DRIFT for s in self.datasets.values())


Progress = Callable[[str], None]


def _stage(progress: Progress, name: str) -> Callable[[str], None]:
    started = time.perf_counter()
    progress(f"[bold]{name}[/bold] …")
    return lambda detail: progress(f"[bold]{name}[/bold] done in {time.perf_counter() - started:.1f} s: {detail}")


def prepare_sources(config: PipelineConfig) -> tuple[Path, Path]:
    """Write the generated clickstream folder and market drop for the source's customers and products."""
    companions = CompanionSpec(
        events=config.clickstream_events,
        seed=SAMPLE_SEED,
        clickstream_start=SAMPLE_CLICKSTREAM_START,
        clickstream_days=config.clickstream_days,
        market_start=SAMPLE_MARKET_START,
        market_end=SAMPLE_MARKET_END,
    )
    write_sample_companions(config.source, config.generated_dir, companions)
    return config.generated_dir / CLICKSTREAM_FOLDER, config.generated_dir / MARKET_DROP_FOLDER


def ingest_all(config: PipelineConfig, store: LakeStore, clickstream_dir: Path, drop_dir: Path) -> list[LandingReport]:
    """Land every source for the run date; the catalog comes over HTTP from the local catalog API."""
    token = secrets.token_urlsafe(24)  # lives only in this process: the local API and its client share it
    with LocalCatalogApi(config.source, token) as api:
        catalog = ingest_catalog(store, CatalogApiClient(CatalogApiSettings(api.base_url, token)), config.run_date)
    orders = ingest_orders_export(store, config.source, config.run_date, config.orders_mode)
    return [
        *orders.values(),
        catalog,
        ingest_clickstream(store, clickstream_dir, config.run_date),
        ingest_market_drop(store, drop_dir, config.run_date),
    ]


def run_pipeline(
    config: PipelineConfig,
    spark: SparkSession | Future[SparkSession],
    database: ServingDatabaseSettings,
    progress: Progress,
) -> PipelineSummary:
    """Run every stage against ``database``; returns the summary (the caller decides how to show it).

    ``spark`` may still be starting (``start_local_session``): landing needs no Spark; the wait for it, if any, is
    printed before curation starts.
    Datasets are curated concurrently, each after the parents its foreign keys name (``curate_concurrently``); a
    dataset that fails with an error leaves the others' results and reports in place, the datasets referencing
    it are not run, and the error is raised once the others have ended.
    """
    store = LocalLakeStore(config.lake)
    summary = PipelineSummary({dataset: DatasetSummary(dataset) for dataset in CURATED_DATASETS})

    done = _stage(progress, "sources")
    clickstream_dir, drop_dir = prepare_sources(config)
    done(f"generated clickstream and market indicators in {config.generated_dir}")

    done = _stage(progress, "ingest")
    for report in ingest_all(config, store, clickstream_dir, drop_dir):
        line = summary.datasets[report.dataset]
        line.files_landed, line.files_skipped = report.files_landed, report.files_skipped
        line.new_versions = report.new_versions
        for name, reason in report.refused.items():
            progress(f"  [yellow]refused[/yellow] {report.dataset}/{name}: {reason}")
        for note in report.notes:
            progress(f"  [yellow]{report.dataset}[/yellow]: {note}")
    landed = sum(s.files_landed + s.new_versions for s in summary.datasets.values())
    done(f"{landed} file(s) landed in {config.lake}")

    session = _session_ready(spark, progress)
    done = _stage(progress, "curate")
    pseudonym_key = resolve_pseudonym_key()  # once, so a missing local key is reported once
    errors = []
    for outcome in curate_concurrently(
        CURATED_DATASETS,
        lambda dataset: curate_dataset(
            session, store, dataset, config.run_date, config.lookback_days, pseudonym_key=pseudonym_key
        ),
    ):
        line = summary.datasets[outcome.dataset]
        if outcome.report is None:
            line.balanced, line.status = False, "failed" if outcome.error else f"not run: {outcome.blocked_by} failed"
            progress(f"  [red]{outcome.dataset}: {line.status}[/red]" + (f": {outcome.error}" if outcome.error else ""))
            errors += [outcome.error] if outcome.error else []
            continue
        _record(store, line, outcome.report, progress)
    if errors:
        raise errors[0]
    summary.freshness = measure(store, list(CURATED_DATASETS))
    done(f"reports in {config.lake / 'reports'}")

    if not summary.ok:
        progress("[red]serving load skipped: a dataset did not balance or had files with schema drift[/red]")
        return summary
    done = _stage(progress, "serve")
    with psycopg.connect(database.conninfo()) as connection:
        summary.tables = load_serving(session, store, connection)
    done(f"{sum(t.changed for t in summary.tables):,} row(s) changed in PostgreSQL")
    return summary


class SparkStartError(RuntimeError):
    """The local Spark session did not start (no usable Java, or options the JVM refused)."""


def _session_ready(spark: SparkSession | Future[SparkSession], progress: Progress) -> SparkSession:
    if not isinstance(spark, Future):
        return spark
    started = time.perf_counter()
    try:
        session = spark.result()
    except PySparkRuntimeError as error:
        raise SparkStartError(
            f"Spark could not start ({error}); the JVM's own message is above. Check that Java 17 runs "
            "(`java -version`, JAVA_HOME) and that PYSPARK_SUBMIT_ARGS and JAVA_TOOL_OPTIONS hold only valid options"
        ) from None
    progress(f"[bold]spark[/bold] session ready (waited {time.perf_counter() - started:.1f} s after landing)")
    return session


def _record(store: LakeStore, line: DatasetSummary, report: DatasetRunReport, progress: Progress) -> None:
    """A dataset's curation as its summary line, its freshness record and its progress line."""
    record_curation(store, report, report.curated_files)
    line.rows_landed, line.rows_curated = report.rows_landed, report.rows_curated
    line.rows_quarantined, line.balanced, line.status = report.rows_quarantined, report.balanced, report.status
    line.rows_inserted, line.rows_updated = report.rows_inserted, report.rows_updated
    progress(
        f"  {report.dataset}: {report.rows_landed:,} landed = {report.rows_curated:,} curated "
        f"({report.rows_inserted:,} new, {report.rows_updated:,} updated) + {report.rows_quarantined:,} "
        f"quarantined ({report.status}) in {report.duration_seconds:.1f} s"
    )
    if report.message:
        progress(f"    [yellow]{report.message}[/yellow]")


def summary_tables(summary: PipelineSummary) -> list[Table]:
    """The closing summary: one table of datasets, one of serving tables."""
    datasets = Table(title="Datasets")
    for column in (
        "dataset",
        "files new/skipped/versions",
        "rows landed",
        "rows curated",
        "rows quarantined",
        "new keys",
        "updated",
        "balanced",
        "status",
    ):
        datasets.add_column(column, justify="left" if column in ("dataset", "status") else "right")
    for line in summary.datasets.values():
        datasets.add_row(
            line.dataset,
            f"{line.files_landed}/{line.files_skipped}/{line.new_versions}",
            f"{line.rows_landed:,}",
            f"{line.rows_curated:,}",
            f"{line.rows_quarantined:,}",
            f"{line.rows_inserted:,}",
            f"{line.rows_updated:,}",
            "yes" if line.balanced else "[red]no[/red]",
            line.status,
        )
    tables = Table(title="Serving tables (PostgreSQL)")
    for column in ("table", "rows upserted", "inserted", "updated", "deleted", "changed"):
        tables.add_column(column, justify="left" if column == "table" else "right")
    for result in summary.tables:
        tables.add_row(
            result.table,
            f"{result.rows:,}",
            f"{result.inserted:,}",
            f"{result.updated:,}",
            f"{result.deleted:,}",
            f"{result.changed:,}",
        )
    return [datasets, tables]


def freshness_table(measured: list[Freshness]) -> Table:
    """The freshness figures the curation job publishes (``etl.sla``), as ``make pipeline`` prints them."""
    share = share_within_sla(measured)
    table = Table(title=f"Freshness against the contracts' SLA ({share:.0f}% of datasets within SLA)")
    for column in ("dataset", "newest curated data landed", "freshness (h)", "SLA (h)", "within SLA"):
        table.add_column(column, justify="left" if column in ("dataset", "newest curated data landed") else "right")
    for freshness in measured:
        landed = freshness.newest_landed_at.isoformat(timespec="seconds") if freshness.newest_landed_at else "never"
        hours = f"{freshness.hours:.1f}" if freshness.hours is not None else "-"
        verdict = "yes" if freshness.within_sla else "[red]no[/red]"
        table.add_row(freshness.dataset, landed, hours, f"{freshness.sla_hours:g}", verdict)
    return table


def parse_run_date(text: str | None) -> date:
    """``YYYY-MM-DD`` as a date; today (UTC) when not given."""
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PipelineConfigError(f"--run-date {text!r} is not a date; use YYYY-MM-DD") from None


def quiet_local_spark() -> None:
    """Keep Spark's console progress bars and its hostname warning out of the stage output."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS", "--conf spark.ui.showConsoleProgress=false pyspark-shell")


def start_local_session(app_name: str) -> Future[SparkSession]:
    """The local SparkSession for a short run, started in a thread while the caller goes on: the JVM starts while
    PostgreSQL starts and the sources land, which use no Spark."""
    quiet_local_spark()
    starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spark-start")
    try:
        return starter.submit(build_local_session, app_name, quick_start=True)
    finally:
        starter.shutdown(wait=False)


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, help=__doc__)


@app.command()
def main(
    lake: Annotated[Path | None, typer.Option(help="Lake root folder [default: <local-dir>/lake].")] = None,
    source: Annotated[Path, typer.Option(help="Northwind export folder (orders and catalog).")] = DEFAULT_SOURCE,
    run_date: Annotated[str | None, typer.Option(help="Day to process, YYYY-MM-DD [default: today, UTC].")] = None,
    lookback_days: Annotated[int, typer.Option(help="Earlier raw partitions curation re-reads.")] = 3,
    local_dir: Annotated[Path, typer.Option(help="Working folder: PostgreSQL data, generated sources.")] = (
        DEFAULT_LOCAL_DIR
    ),
) -> None:
    """Run ingestion, curation and the serving load on this machine and print a summary."""
    # Wide enough for the summary when output goes to a file or CI log, not a terminal.
    console = Console(width=None if sys.stdout.isatty() else 150)
    try:
        config = PipelineConfig(
            lake=lake or local_dir / "lake",
            source=source,
            local_dir=local_dir,
            run_date=parse_run_date(run_date),
            lookback_days=lookback_days,
        )
    except PipelineConfigError as error:
        console.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(2) from None
    console.print(f"Northwind pipeline for {config.run_date} (lake {config.lake}, source {config.source})")
    spark = start_local_session("northwind-pipeline")  # starts while PostgreSQL starts and the sources land
    try:
        with LocalPostgres(config.local_dir / "postgres") as database:
            summary = run_pipeline(config, spark, database, console.print)
    except (
        LocalPostgresError,
        IngestError,
        SampleError,
        ServingInputError,
        ServingSchemaError,
        MigrationError,
        SparkStartError,
    ) as error:
        console.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(1) from None
    finally:
        if spark.exception() is None:
            spark.result().stop()
    for table in summary_tables(summary):
        console.print(table)
    console.print(freshness_table(summary.freshness))
    if not summary.ok:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
