"""A whole generated source folder: the orders export, the catalog, clickstream and market indicators.

Layout of the output folder (what ingestion reads):
``orders.csv``, ``order-details.csv``, ``customers.csv``, ``products.csv``, ``categories.csv`` (the export and
the catalog the local API serves), ``clickstream/events-YYYYMMDDHH.jsonl.gz``, ``market-drop/*.csv``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from etl.generate.clickstream import ClickstreamShape, hourly_files
from etl.generate.malformed import Injection, MalformedKind, inject
from etl.generate.market import monthly_files
from etl.generate.orders import FIRST_ORDER_DATE, ORDER_DAYS, generate_orders
from etl.generate.sample import CUSTOMER_COLUMNS, SampleError, read_sample

CLICKSTREAM_FOLDER = "clickstream"
MARKET_DROP_FOLDER = "market-drop"


class GeneratorSpecError(ValueError):
    """The requested generation makes no sense (e.g. a negative count)."""


@dataclass(frozen=True)
class GeneratorSpec:
    """What to generate.

    ``clickstream_start`` defaults to 2026-10-01 and ``clickstream_days`` to 30 (the clickstream contract
    accepts events from 2000 on); ``workers`` (default 2, this machine's cores) only changes speed, never the bytes.
    """

    order_lines: int
    events: int
    seed: int
    sample_dir: Path
    clickstream_start: date = date(2026, 10, 1)
    clickstream_days: int = 30
    workers: int = 2
    malformed: tuple[MalformedKind, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.order_lines < 1:
            raise GeneratorSpecError(f"order lines must be at least 1, got {self.order_lines}")
        if self.events < 1:
            raise GeneratorSpecError(f"events must be at least 1, got {self.events}")
        if self.clickstream_days < 1:
            raise GeneratorSpecError(f"clickstream days must be at least 1, got {self.clickstream_days}")
        if not (self.sample_dir / "customers.csv").is_file():
            raise GeneratorSpecError(f"no Northwind sample at {self.sample_dir} (customers.csv missing)")


@dataclass(frozen=True)
class GeneratedFolder:
    """What was written: the folder, row counts, and the faults injected."""

    folder: Path
    order_lines: int
    orders: int
    events: int
    clickstream_files: int
    market_files: int
    injections: list[Injection]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_clickstream(folder: Path, shape: ClickstreamShape, events: int, seed: int, workers: int) -> int:
    """Write the hourly clickstream files into ``folder``; returns how many files were written."""
    written = 0
    for name, data in hourly_files(shape, events, seed, workers):
        _write(folder / name, data)
        written += 1
    return written


def write_market_drop(folder: Path, countries: list[str], start: date, end: date, seed: int) -> int:
    """Write the monthly market indicator CSVs into ``folder``; returns how many files were written."""
    written = 0
    for name, data in monthly_files(countries, start, end, seed):
        _write(folder / name, data)
        written += 1
    return written


def generate(spec: GeneratorSpec, out_dir: Path) -> GeneratedFolder:
    """Write a complete generated source folder for ``spec`` into ``out_dir``."""
    sample = read_sample(spec.sample_dir)
    files = generate_orders(sample, spec.order_lines, np.random.default_rng([spec.seed, 1]))
    out_dir.mkdir(parents=True, exist_ok=True)
    _write(out_dir / "orders.csv", files.orders_csv)
    _write(out_dir / "order-details.csv", files.order_lines_csv)
    _write(out_dir / "customers.csv", files.customers_csv)
    _write(out_dir / "products.csv", files.products_csv)
    _write(out_dir / "categories.csv", sample.categories_csv)
    shape = ClickstreamShape(
        files.customer_ids, files.product_ids, files.order_ids, spec.clickstream_start, spec.clickstream_days
    )
    clickstream_files = write_clickstream(out_dir / CLICKSTREAM_FOLDER, shape, spec.events, spec.seed, spec.workers)
    market_files = write_market_drop(
        out_dir / MARKET_DROP_FOLDER,
        files.countries,
        FIRST_ORDER_DATE,
        FIRST_ORDER_DATE + timedelta(days=ORDER_DAYS - 1),
        spec.seed,
    )
    return GeneratedFolder(
        folder=out_dir,
        order_lines=spec.order_lines,
        orders=len(files.order_ids),
        events=spec.events,
        clickstream_files=clickstream_files,
        market_files=market_files,
        injections=inject(out_dir, list(spec.malformed)),
    )


@dataclass(frozen=True)
class CompanionSpec:
    """Generated companions of a real export: clickstream events over days from a start, and market indicators
    for every day of a window."""

    events: int
    seed: int
    clickstream_start: date
    clickstream_days: int
    market_start: date
    market_end: date


def write_sample_companions(sample_dir: Path, out_dir: Path, spec: CompanionSpec) -> tuple[int, int]:
    """Clickstream and market indicators for the real sample's customers, products and orders (the export has
    neither); returns (clickstream files, market files)."""
    # The source may hold damaged rows; they land as they are and curation quarantines them, while the
    # companions only need the ids that do parse.
    sample = read_sample(sample_dir, errors="replace")
    with (sample_dir / "orders.csv").open(encoding="utf-8", errors="replace", newline="") as handle:
        orders = list(csv.reader(handle))[1:]  # an empty or header-only export has none
    country_at = CUSTOMER_COLUMNS.index("country")
    shape = ClickstreamShape(
        customer_ids=np.array([customer[0] for customer in sample.customers]),
        product_ids=np.array([int(product[0]) for product in sample.products if product[0].isdigit()]),
        order_ids=np.array([int(order[0]) for order in orders if order and order[0].isdigit()]),
        start=spec.clickstream_start,
        days=spec.clickstream_days,
    )
    empty = [name for name in ("customer_ids", "product_ids", "order_ids") if not len(getattr(shape, name))]
    if empty:
        raise SampleError(
            f"{sample_dir} has no readable {', '.join(name.removesuffix('_ids') + 's' for name in empty)} to "
            "generate the clickstream companion for; the local pipeline needs an export with at least one of each"
        )
    countries = sorted({customer[country_at] for customer in sample.customers if len(customer) > country_at})
    return (
        write_clickstream(out_dir / CLICKSTREAM_FOLDER, shape, spec.events, spec.seed, workers=1),
        write_market_drop(out_dir / MARKET_DROP_FOLDER, countries, spec.market_start, spec.market_end, spec.seed),
    )
