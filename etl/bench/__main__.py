"""``python -m etl.bench`` (``make bench-etl``): curation plus serving aggregates at volume, beside DuckDB.

Runs a 10x smaller size first, then the full size, in one Spark session; prints the figures and writes them as
JSON under ``bench-results/``. Heavy by design: never part of the test suite.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pyspark
import typer
from rich.console import Console
from rich.table import Table

from etl.bench.run import BenchSize, SizeResult, measure, results_document
from etl.generate.dataset import GeneratorSpecError
from etl.pipeline import CURATED_DATASETS, DEFAULT_LOCAL_DIR, DEFAULT_SOURCE, REPO_ROOT, quiet_local_spark
from etl.spark import build_local_session

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, help=__doc__)
GIB = 1024**3


def _work(dataset: str):
    return lambda r: f"{r.spark_jobs_by_dataset[dataset]} / {r.spark_actions_by_dataset[dataset]}"


def _table(results: list[SizeResult]) -> Table:
    table = Table(title="ETL benchmark (Spark local[2] vs DuckDB, same curated Parquet)")
    table.add_column("figure")
    for result in results:
        table.add_column(f"{result.order_lines:,} lines / {result.events:,} events", justify="right")
    rows = [
        ("generate s (reused: -)", lambda r: "-" if r.generate_seconds is None else f"{r.generate_seconds:.1f}"),
        ("ingest s", lambda r: f"{r.ingest_seconds:.1f}"),
        ("curation s", lambda r: f"{r.curate_seconds:.1f}"),
        ("Spark aggregates s", lambda r: f"{r.spark_aggregate_seconds:.1f}"),
        ("curation + aggregates s", lambda r: f"{r.spark_seconds:.1f}"),
        ("rows landed", lambda r: f"{r.rows_landed:,}"),
        ("rows per second", lambda r: f"{r.rows_per_second:,.0f}"),
        ("balanced", lambda r: "yes" if r.balanced else "NO"),
        ("DuckDB aggregates s", lambda r: f"{r.duckdb_aggregate_seconds:.2f}"),
        ("Spark / DuckDB (aggregates)", lambda r: f"{r.spark_to_duckdb_aggregate_ratio:.1f}x"),
        ("aggregates agree", lambda r: "yes" if r.aggregates_agree else "NO"),
        ("Spark clickstream curation s", lambda r: f"{r.curate_seconds_by_dataset['clickstream_events']:.1f}"),
        ("DuckDB clickstream curation s", lambda r: f"{r.duckdb_clickstream_seconds:.1f}"),
        ("Spark / DuckDB (clickstream curation)", lambda r: f"{r.spark_to_duckdb_clickstream_ratio:.1f}x"),
        ("clickstream counts agree", lambda r: "yes" if r.clickstream_counts_agree else "NO"),
        *((f"Spark jobs / actions: {dataset}", _work(dataset)) for dataset in CURATED_DATASETS),
        ("Spark JVM peak GiB", lambda r: f"{r.spark_jvm_peak_rss_bytes / GIB:.2f}"),
        ("Python driver peak GiB", lambda r: f"{r.driver_peak_rss_bytes / GIB:.2f}"),
        ("DuckDB process peak GiB", lambda r: f"{r.duckdb_peak_rss_bytes / GIB:.2f}"),
        ("DuckDB curation peak GiB", lambda r: f"{r.duckdb_clickstream_peak_rss_bytes / GIB:.2f}"),
    ]
    for name, show in rows:
        table.add_row(name, *(show(result) for result in results))
    return table


@app.command()
def main(
    order_lines: Annotated[int, typer.Option(help="Order lines of the full size.")] = 1_000_000,
    events: Annotated[int, typer.Option(help="Clickstream events of the full size.")] = 10_000_000,
    scale_divisor: Annotated[int, typer.Option(help="The smaller run is this many times smaller.")] = 10,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 42,
    work_dir: Annotated[Path, typer.Option(help="Generated sources and lakes.")] = DEFAULT_LOCAL_DIR / "bench",
    results_dir: Annotated[Path, typer.Option(help="Where the JSON results go.")] = REPO_ROOT / "bench-results",
    sample: Annotated[Path, typer.Option(help="The Northwind export to scale.")] = DEFAULT_SOURCE,
    driver_memory: Annotated[str, typer.Option(help="Spark driver memory.")] = "6g",
) -> None:
    """Measure curation plus aggregates at two sizes 10x apart and compare the aggregates with DuckDB."""
    console = Console(width=None if sys.stdout.isatty() else 150)
    if scale_divisor < 1 or order_lines // scale_divisor < 1 or events // scale_divisor < 1:
        console.print("[red]error:[/red] --scale-divisor must leave at least 1 order line and 1 event per size")
        raise typer.Exit(2)
    sizes = [BenchSize(order_lines // scale_divisor, events // scale_divisor), BenchSize(order_lines, events)]
    quiet_local_spark()
    spark = build_local_session("northwind-bench", shuffle_partitions=8, driver_memory=driver_memory)
    run_date = datetime.now(UTC).date()
    machine = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "spark": pyspark.__version__,
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale_divisor": scale_divisor,
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"etl-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    results: list[SizeResult] = []
    try:
        for size in sizes:
            console.print(f"measuring {size.order_lines:,} order lines / {size.events:,} events …")
            results.append(measure(spark, size, seed, sample, work_dir, run_date))
            # Written after each size, so a long second size never loses the first one's figures.
            path.write_text(json.dumps(results_document(results, machine), indent=2) + "\n")
            console.print(_table(results))
    except GeneratorSpecError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    finally:
        spark.stop()
    document = results_document(results, machine)
    console.print(
        f"fixed cost of a run (Spark work at zero rows, from the two sizes): {document['fixed_cost_seconds']} s"
    )
    peer = results[-1]
    console.print(
        f"clickstream curation: Spark {peer.curate_seconds_by_dataset['clickstream_events']:.1f} s, DuckDB "
        f"{peer.duckdb_clickstream_seconds:.1f} s: Spark takes {peer.spark_to_duckdb_clickstream_ratio}x DuckDB's time "
        f"(target <= 1.5x); counts {'agree' if peer.clickstream_counts_agree else 'DIFFER'}"
    )
    ratio = document["larger_to_smaller_time_ratio"]
    console.print(f"{scale_divisor}x the data took {ratio}x the time (target for 10x: <= 10x); results in {path}")
    if not all(r.clickstream_counts_agree and r.balanced for r in results):
        console.print("[red]error:[/red] a run did not balance, or Spark and DuckDB curated different row counts")
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
