"""The nightly orders export: orders, order lines and customers from the order system's CSV files.

Batch mode lands the three files as delivered. Incremental mode lands, for orders and for order lines, only the
records that are new or changed since the last landing: the records of each key are compared by digest with the
digests kept in the lake (``raw/_state/orders_export.json``). So a corrected old order, a late order dated weeks
ago and a line whose order is unknown all land, and an unchanged record does not land again. Customers, a small
full snapshot, land as delivered in both modes.

The state also keeps the order-date watermark: the latest ``orderDate`` landed that the contract accepts (in its
format, not before its minimum and not after the landing day). It records how far the export has been landed and
never decides what lands, so a date in the future neither moves it nor holds back later orders.

A file that cannot be compared record by record (not in the encoding its contract declares, empty, or a header
without the key columns) lands whole, as delivered, for curation to judge; the report says why.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from etl.contracts import DataContract, load_contract
from etl.contracts.formats import format_shape, strptime_format
from etl.ingest.landing import LandingReport, land_file
from etl.ingest.manifest import read_manifest
from etl.ingest.rows import FileCount, count_csv_rows, csv_records, decode_text
from etl.ingest.sources import land_paths, require_file
from etl.lake import LakeStore

ORDERS_FILE = "orders.csv"
ORDER_LINES_FILE = "order-details.csv"
CUSTOMERS_FILE = "customers.csv"
STATE_KEY = "raw/_state/orders_export.json"
WATERMARK_FIELD = "order_date"
COMPARED = {"orders": ORDERS_FILE, "order_lines": ORDER_LINES_FILE}


class OrdersMode(StrEnum):
    """How the nightly export is landed."""

    BATCH = "batch"
    INCREMENTAL = "incremental"


@dataclass(frozen=True)
class ExportState:
    """What incremental landing remembers: per dataset the digest of each key's records, and the watermark."""

    digests: dict[str, dict[str, str]] = field(default_factory=dict)
    watermark: date | None = None


@dataclass(frozen=True)
class ChangeSet:
    """The records of one export file that are new or changed against the digests landed before."""

    data: bytes
    count: FileCount
    digests: dict[str, str]
    changed_records: list[list[str]]
    header: list[str]


def read_state(store: LakeStore) -> ExportState:
    """The state kept by the last incremental landing (empty before the first one)."""
    if not store.exists(STATE_KEY):
        return ExportState()
    document = json.loads(store.get_bytes(STATE_KEY))
    watermark = document.get("watermark")
    return ExportState(document.get("digests", {}), date.fromisoformat(watermark) if watermark else None)


def write_state(store: LakeStore, state: ExportState) -> None:
    """Record ``state`` for the next incremental landing."""
    document = {"watermark": state.watermark.isoformat() if state.watermark else None, "digests": state.digests}
    store.put_bytes(STATE_KEY, json.dumps(document, sort_keys=True).encode("utf-8"))


def _digest(header: list[str], records: list[list[str]]) -> str:
    return hashlib.sha256(json.dumps([header, records], ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


def _csv_bytes(header: list[str], records: list[list[str]], encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 line ends
    writer.writerow(header)
    writer.writerows(records)
    return buffer.getvalue().encode(encoding)


def changed_records(data: bytes, contract: DataContract, landed: Mapping[str, str]) -> ChangeSet | str:
    """The records of an export file whose key is new or whose records differ from ``landed`` (key -> digest),
    or the reason the file cannot be compared record by record."""
    text, problem = decode_text(data, contract.source_encoding)
    if problem is not None:
        return problem.detail
    records = csv_records(text)
    if not records:
        return "the file is empty"
    header, *rows = records
    key_columns = [contract.field(name).source_name for name in contract.primary_key]
    missing = [column for column in key_columns if column not in header]
    if missing:
        return f"its header has no {', '.join(missing)} column ({', '.join(header)})"
    positions = [header.index(column) for column in key_columns]
    by_key: dict[str, list[list[str]]] = defaultdict(list)
    for row in rows:
        by_key["|".join(row[p] if p < len(row) else "" for p in positions)].append(row)
    digests = {key: _digest(header, group) for key, group in by_key.items()}
    changed = [row for key, group in by_key.items() if landed.get(key) != digests[key] for row in group]
    body = _csv_bytes(header, changed, contract.source_encoding.value)
    return ChangeSet(body, FileCount(len(changed), tuple(header)), digests, changed, header)


def accepted_date(text: str, contract: DataContract, day: date) -> date | None:
    """The watermark field's value when the contract accepts it: in its format, not before its minimum and not
    after ``day``; None otherwise (such a row is curation's to quarantine, never the watermark's to follow)."""
    rule = contract.field(WATERMARK_FIELD)
    if rule.raw_format is None or not re.match(format_shape(rule.raw_format), text):
        return None
    try:
        value = datetime.strptime(text, strptime_format(rule.raw_format)).date()
    except ValueError:
        return None
    if rule.minimum is not None and value < date.fromisoformat(str(rule.minimum)):
        return None
    return value if value <= day else None


def _watermark(change: ChangeSet, contract: DataContract, day: date, previous: date | None) -> date | None:
    column = contract.field(WATERMARK_FIELD).source_name
    if column not in change.header:
        return previous
    at = change.header.index(column)
    dates = [accepted_date(record[at], contract, day) for record in change.changed_records if len(record) > at]
    return max([d for d in dates if d is not None] + ([previous] if previous else []), default=None)


def _change_name(store: LakeStore, dataset: str, source_name: str) -> str:
    sequence = len(read_manifest(store, dataset)) + 1
    return f"{source_name.removesuffix('.csv')}-changes-{sequence:06d}.csv"


def ingest_orders_export(store: LakeStore, source_dir: Path, day: date, mode: OrdersMode) -> dict[str, LandingReport]:
    """Land the nightly export in ``source_dir`` for ``day``; one report per dataset (orders, order_lines,
    customers). Every file is read and compared before anything lands, so no dataset of the export lands while
    another fails."""
    paths = {
        "orders": require_file(source_dir / ORDERS_FILE, "the orders export"),
        "order_lines": require_file(source_dir / ORDER_LINES_FILE, "the order lines export"),
        "customers": require_file(source_dir / CUSTOMERS_FILE, "the customers export"),
    }
    reports = {name: LandingReport(name) for name in paths}
    if mode is OrdersMode.BATCH:
        for dataset, path in paths.items():
            land_paths(store, dataset, day, [path], count_csv_rows, reports[dataset])
        return reports
    state = read_state(store)
    changes = {
        dataset: changed_records(paths[dataset].read_bytes(), load_contract(dataset), state.digests.get(dataset, {}))
        for dataset in COMPARED
    }
    land_paths(store, "customers", day, [paths["customers"]], count_csv_rows, reports["customers"])
    digests, watermark = dict(state.digests), state.watermark
    for dataset, change in changes.items():
        report = reports[dataset]
        if isinstance(change, str):
            report.notes.append(f"{paths[dataset].name} landed whole, not compared record by record: {change}")
            land_paths(store, dataset, day, [paths[dataset]], count_csv_rows, report)
            continue
        if change.count.rows:
            name = _change_name(store, dataset, paths[dataset].name)
            report.files.append(land_file(store, dataset, day, name, change.data, change.count))
        digests[dataset] = change.digests
        if dataset == "orders":
            watermark = _watermark(change, load_contract(dataset), day, watermark)
    write_state(store, ExportState(digests, watermark))
    reports["orders"].watermark = watermark
    return reports
