"""The nightly orders export: orders, order lines and customers from the order system's CSV files.

Batch mode lands the three files as delivered. Incremental mode lands only the orders whose ``orderDate`` is
later than the high-water mark kept in the lake (``raw/_state/orders_watermark.json``), with their lines, and
then moves the mark forward. The mark has ``orderDate`` granularity: an order dated on the mark's day that
arrives after the mark was set is not picked up incrementally (a batch run catches it).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from etl.ingest.landing import LandingReport, land_file
from etl.ingest.rows import count_csv_rows
from etl.ingest.sources import land_paths, require_file
from etl.lake import LakeStore

ORDERS_FILE = "orders.csv"
ORDER_LINES_FILE = "order-details.csv"
CUSTOMERS_FILE = "customers.csv"
WATERMARK_KEY = "raw/_state/orders_watermark.json"
SOURCE_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class OrdersMode(StrEnum):
    """How the nightly export is landed."""

    BATCH = "batch"
    INCREMENTAL = "incremental"


@dataclass(frozen=True)
class OrdersExtract:
    """The part of an export newer than a watermark, as CSV bytes in the source's own format."""

    orders_csv: bytes
    order_lines_csv: bytes
    order_rows: int
    order_line_rows: int
    new_watermark: datetime | None


def parse_order_date(text: str) -> datetime | None:
    """The source's zone-less ``1996-07-04 00:00:00.000`` timestamp, or None when it is not one."""
    try:
        return datetime.strptime(text, SOURCE_TIMESTAMP_FORMAT)
    except ValueError:
        return None


def read_watermark(store: LakeStore) -> datetime | None:
    """The latest ``orderDate`` landed so far, or None before the first incremental landing."""
    if not store.exists(WATERMARK_KEY):
        return None
    return datetime.fromisoformat(json.loads(store.get_bytes(WATERMARK_KEY))["order_date"])


def write_watermark(store: LakeStore, watermark: datetime) -> None:
    """Record ``watermark`` as the latest ``orderDate`` landed."""
    store.put_bytes(WATERMARK_KEY, json.dumps({"order_date": watermark.isoformat()}).encode("utf-8"))


def _csv_bytes(header: list[str], records: list[list[str]], line_terminator: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_terminator)
    writer.writerow(header)
    writer.writerows(records)
    return buffer.getvalue().encode("utf-8", errors="surrogateescape")


def _records(data: bytes) -> tuple[list[str], list[list[str]], str]:
    # surrogateescape carries bytes that are not UTF-8 through unchanged, for curation to quarantine.
    text = data.decode("utf-8", errors="surrogateescape")
    terminator = "\r\n" if "\r\n" in text[:4096] else "\n"
    header, *records = [record for record in csv.reader(io.StringIO(text, newline="")) if record]
    return header, records, terminator


def extract_newer_orders(orders_csv: bytes, order_lines_csv: bytes, watermark: datetime | None) -> OrdersExtract:
    """Orders dated after ``watermark`` (all orders when it is None) and the lines of those orders.

    Orders whose date does not parse, and lines of no order in the export, cannot be placed against the mark;
    they go with every extract that has newer orders, so that curation quarantines them rather than losing them.
    """
    header, orders, terminator = _records(orders_csv)
    order_id_at, order_date_at = header.index("orderID"), header.index("orderDate")
    chosen, newest, newer_rows = [], watermark, 0
    for record in orders:
        ordered = parse_order_date(record[order_date_at]) if len(record) > order_date_at else None
        is_newer = ordered is not None and (watermark is None or ordered > watermark)
        newer_rows += is_newer
        if is_newer or ordered is None:
            chosen.append(record)
        if is_newer and (newest is None or ordered > newest):
            newest = ordered
    if not newer_rows:
        chosen = []
    chosen_ids = {record[order_id_at] for record in chosen if len(record) > order_id_at}
    known_ids = {record[order_id_at] for record in orders if len(record) > order_id_at}
    line_header, lines, line_terminator = _records(order_lines_csv)
    line_order_at = line_header.index("orderID")
    chosen_lines = []
    for line in lines if chosen else ():
        order_id = line[line_order_at] if len(line) > line_order_at else None
        # A line of no order in the export cannot be placed against the mark either: it goes along so that
        # curation quarantines it instead of the extract dropping it.
        if line and (order_id in chosen_ids or order_id not in known_ids):
            chosen_lines.append(line)
    return OrdersExtract(
        orders_csv=_csv_bytes(header, chosen, terminator),
        order_lines_csv=_csv_bytes(line_header, chosen_lines, line_terminator),
        order_rows=len(chosen),
        order_line_rows=len(chosen_lines),
        new_watermark=newest,
    )


def _extract_name(stem: str, watermark: datetime | None) -> str:
    after = watermark.strftime("%Y%m%dT%H%M%S") if watermark else "start"
    return f"{stem}-after-{after}.csv"


def ingest_orders_export(store: LakeStore, source_dir: Path, day: date, mode: OrdersMode) -> dict[str, LandingReport]:
    """Land the nightly export in ``source_dir`` for ``day``; one report per dataset (orders, order_lines,
    customers)."""
    orders_path = require_file(source_dir / ORDERS_FILE, "the orders export")
    lines_path = require_file(source_dir / ORDER_LINES_FILE, "the order lines export")
    customers_path = require_file(source_dir / CUSTOMERS_FILE, "the customers export")
    reports = {name: LandingReport(name) for name in ("orders", "order_lines", "customers")}
    land_paths(store, "customers", day, [customers_path], count_csv_rows, reports["customers"])
    if mode is OrdersMode.BATCH:
        land_paths(store, "orders", day, [orders_path], count_csv_rows, reports["orders"])
        land_paths(store, "order_lines", day, [lines_path], count_csv_rows, reports["order_lines"])
        return reports
    watermark = read_watermark(store)
    extract = extract_newer_orders(orders_path.read_bytes(), lines_path.read_bytes(), watermark)
    if extract.order_rows:
        reports["orders"].files.append(
            land_file(store, "orders", day, _extract_name("orders", watermark), extract.orders_csv, extract.order_rows)
        )
        reports["order_lines"].files.append(
            land_file(
                store,
                "order_lines",
                day,
                _extract_name("order-details", watermark),
                extract.order_lines_csv,
                extract.order_line_rows,
            )
        )
    if extract.new_watermark is not None and extract.new_watermark != watermark:
        write_watermark(store, extract.new_watermark)
    return reports
