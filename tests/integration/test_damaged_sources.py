"""Damaged copies of the real Northwind export and of hourly clickstream files, through landing and curation.

Each case states what its damaged source holds and checks one run's balance against the landing manifest: rows in
the source (counted here, per RFC 4180 or per non-blank JSON line), rows landed (the manifest), rows curated, rows
quarantined by rule, and whether the balance holds, plus the values that show the damage was handled. The figures
of every case are recorded as test properties (``pytest --junitxml``) for the run's record.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest

from etl.curate import curate_dataset
from etl.ingest.catalog import CatalogApiClient, CatalogApiSettings, ingest_catalog
from etl.ingest.clickstream import ingest_clickstream
from etl.ingest.market import ingest_market_drop
from etl.ingest.orders import OrdersMode, ingest_orders_export
from etl.lake import LocalLakeStore
from etl.localdev.catalog_api import LocalCatalogApi

pytestmark = pytest.mark.slow

KEY = b"damaged-sources-pseudonym-key"
PARENT_DAY = date(2026, 11, 15)  # outside the cases' windows: only the curated parents matter
BASE_DAY = date(2026, 11, 28)
DAY = date(2026, 11, 29)
EXPORT_FILES = ("orders.csv", "order-details.csv", "customers.csv")


@dataclass(frozen=True)
class Outcome:
    """One dataset's run: the damaged source beside both sides of the balance."""

    source_rows: int
    landed: int
    curated: int
    quarantined: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)  # rows failing each rule (a row may fail several)
    balanced: bool = True


def _outcome(report, source_rows: int) -> Outcome:
    by_rule: dict[str, int] = {}
    for result in report.rules:
        if result.failed_rows:
            by_rule[result.rule] = by_rule.get(result.rule, 0) + result.failed_rows
    return Outcome(
        source_rows, report.rows_landed, report.rows_curated, report.rows_quarantined, by_rule, report.balanced
    )


def _csv_rows(data: bytes) -> int:
    text = data.decode("utf-8", errors="replace")
    return max(len([record for record in csv.reader(io.StringIO(text, newline="")) if record]) - 1, 0)


def _json_lines(data: bytes) -> int:
    return sum(1 for line in gzip.decompress(data).splitlines() if line.strip())


def _curate(spark, store, dataset: str, day: date = DAY, lookback_days: int = 3):
    return curate_dataset(spark, store, dataset, day, lookback_days, pseudonym_key=KEY)


def _curated(spark, store, dataset: str):
    return spark.read.parquet(store.uri(f"curated/{dataset}"))


def _quarantined(spark, store, dataset: str, day: date = DAY):
    return spark.read.parquet(store.uri(f"quarantine/{dataset}/run_date={day.isoformat()}")).collect()


@dataclass
class Lake:
    """A lake and the source folder its cases damage."""

    store: LocalLakeStore
    source: Path

    def rewrite(self, name: str, change: Callable[[str], str]) -> bytes:
        path = self.source / name
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        return path.read_bytes()


def _copy_lake(template: Path, tmp_path: Path, northwind_sample_dir: Path) -> Lake:
    shutil.copytree(template, tmp_path / "lake")
    source = tmp_path / "export"
    source.mkdir()
    for name in EXPORT_FILES:
        shutil.copy(northwind_sample_dir / name, source / name)
    return Lake(LocalLakeStore(tmp_path / "lake"), source)


@pytest.fixture(scope="module")
def parents_template(spark, tmp_path_factory, northwind_sample_dir) -> Path:
    """A lake holding the curated parents the cases' references need, customers and the product catalog, landed
    on a day before every case's window."""
    root = tmp_path_factory.mktemp("parents") / "lake"
    store = LocalLakeStore(root)
    ingest_orders_export(store, northwind_sample_dir, PARENT_DAY, OrdersMode.BATCH)
    with LocalCatalogApi(northwind_sample_dir, "token") as api:
        ingest_catalog(store, CatalogApiClient(CatalogApiSettings(api.base_url, "token")), PARENT_DAY)
    for dataset in ("customers", "products"):
        _curate(spark, store, dataset, PARENT_DAY, 0)
    return root


@pytest.fixture(scope="module")
def landed_template(spark, tmp_path_factory, parents_template, northwind_sample_dir) -> Path:
    """The parents, plus the clean export landed incrementally the day before and its orders and lines curated."""
    root = tmp_path_factory.mktemp("landed") / "lake"
    shutil.copytree(parents_template, root)
    store = LocalLakeStore(root)
    ingest_orders_export(store, northwind_sample_dir, BASE_DAY, OrdersMode.INCREMENTAL)
    for dataset in ("orders", "order_lines"):
        _curate(spark, store, dataset, BASE_DAY, 0)
    return root


@pytest.fixture
def parents(parents_template, tmp_path, northwind_sample_dir) -> Lake:
    return _copy_lake(parents_template, tmp_path, northwind_sample_dir)


@pytest.fixture
def landed(landed_template, tmp_path, northwind_sample_dir) -> Lake:
    return _copy_lake(landed_template, tmp_path, northwind_sample_dir)


@pytest.fixture
def record(record_property):
    def keep(case: str, outcome: Outcome) -> None:
        record_property(case, json.dumps(asdict(outcome)))

    return keep


def _order_line(lake: Lake, order_id: str) -> str:
    return next(line for line in (lake.source / "orders.csv").read_text().splitlines() if line.startswith(order_id))


def test_a_future_order_date_is_quarantined_and_later_orders_still_land_and_curate(spark, parents, record):
    future = _order_line(parents, "10248").replace("10248,", "11078,", 1).replace("1996-07-04", "2099-01-01", 1)
    parents.rewrite("orders.csv", lambda text: text + future + "\n")
    first = ingest_orders_export(parents.store, parents.source, DAY, OrdersMode.INCREMENTAL)
    quarantined = _curate(spark, parents.store, "orders")
    later = _order_line(parents, "11077").replace("11077,", "11079,", 1).replace("1998-05-06", "1998-05-07", 1)
    data = parents.rewrite("orders.csv", lambda text: text + later + "\n")
    second = ingest_orders_export(parents.store, parents.source, DAY + timedelta(days=1), OrdersMode.INCREMENTAL)
    report = _curate(spark, parents.store, "orders", DAY + timedelta(days=1))

    assert _outcome(quarantined, 831) == Outcome(831, 831, 830, 1, {"range": 1})
    assert (first["orders"].watermark, second["orders"].watermark) == (date(1998, 5, 6), date(1998, 5, 7))
    outcome = _outcome(report, _csv_rows(data))
    record("future date", outcome)
    assert outcome == Outcome(832, 832, 831, 1, {"range": 1})
    assert _curated(spark, parents.store, "orders").where("order_id in (11078, 11079)").count() == 1


def test_a_corrected_freight_and_quantity_are_curated_and_reported_as_updated(spark, landed, record):
    orders = landed.rewrite("orders.csv", lambda text: text.replace(",3,32.38,", ",3,99.99,", 1))
    lines = landed.rewrite("order-details.csv", lambda text: text.replace("10248,11,14.00,12,0", "10248,11,14.00,15,0"))
    ingest_orders_export(landed.store, landed.source, DAY, OrdersMode.INCREMENTAL)
    order_report, line_report = _curate(spark, landed.store, "orders"), _curate(spark, landed.store, "order_lines")

    outcome = _outcome(order_report, _csv_rows(orders))
    record("correction (orders)", outcome)
    record("correction (order lines)", _outcome(line_report, _csv_rows(lines)))
    # The window holds yesterday's landing and today's correction; the older delivery of 10248 is superseded.
    assert outcome == Outcome(830, 831, 831)
    assert (order_report.rows_updated, order_report.rows_superseded, order_report.rows_unchanged) == (1, 1, 829)
    assert (line_report.rows_landed, line_report.rows_updated) == (2156, 1)
    freight = _curated(spark, landed.store, "orders").where("order_id = 10248").first()["freight"]
    quantity = _curated(spark, landed.store, "order_lines").where("order_id = 10248 and product_id = 11").first()
    assert (str(freight), quantity["quantity"]) == ("99.99", 15)


def test_a_late_order_dated_before_the_watermark_lands_and_curates(spark, landed, record):
    late = _order_line(landed, "10300").replace("10300,", "11080,", 1)
    data = landed.rewrite("orders.csv", lambda text: text + late + "\n")
    landed.rewrite("order-details.csv", lambda text: text + "11080,11,14.00,2,0\n")
    reports = ingest_orders_export(landed.store, landed.source, DAY, OrdersMode.INCREMENTAL)
    report = _curate(spark, landed.store, "orders")

    outcome = _outcome(report, _csv_rows(data))
    record("late order", outcome)
    assert reports["orders"].rows_landed == 1
    assert outcome == Outcome(831, 831, 831) and report.rows_inserted == 1
    assert str(_curated(spark, landed.store, "orders").where("order_id = 11080").first()["order_date"]) == "1996-09-09"
    assert _curate(spark, landed.store, "order_lines").rows_inserted == 1


def test_the_same_export_landed_again_in_batch_mode_is_a_redelivery_not_duplicates(spark, parents, record):
    path = parents.source / "orders.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    ingest_orders_export(parents.store, parents.source, BASE_DAY, OrdersMode.BATCH)
    _curate(spark, parents.store, "orders", BASE_DAY, 0)
    data = path.read_bytes() + b"\r\n"  # delivered again: other bytes, the same rows
    path.write_bytes(data)
    ingest_orders_export(parents.store, parents.source, DAY, OrdersMode.BATCH)
    report = _curate(spark, parents.store, "orders")

    outcome = _outcome(report, _csv_rows(data))
    record("batch re-landing", outcome)
    assert outcome == Outcome(830, 1660, 1660)
    assert (report.rows_redelivered, report.rows_unchanged, report.rows_updated) == (830, 830, 0)


def _event(number: int, **overrides) -> dict:
    event = {
        "event_id": f"00000000-0000-4000-8000-{number:012d}",
        "session_id": f"S{number // 10}",
        "customer_id": "ALFKI",
        "event_type": "product_view",
        "product_id": number % 77 + 1,
        "page_url": f"/products/{number % 77 + 1}",
        "event_time": f"2026-11-28T10:{number % 60:02d}:00Z",
        "user_agent": "Mozilla/5.0",
        "ip_address": "10.0.0.1",
        "order_id": None,
    }
    return event | overrides


def _hourly(folder: Path, name: str, events: list[dict], mtime: int = 0) -> bytes:
    folder.mkdir(exist_ok=True)
    data = gzip.compress(b"".join(json.dumps(event).encode() + b"\n" for event in events), mtime=mtime)
    (folder / name).write_bytes(data)
    return data


def test_an_hourly_clickstream_file_delivered_again_on_a_later_day_is_a_redelivery(spark, parents, record, tmp_path):
    staging = tmp_path / "clickstream"
    events = [_event(number) for number in range(500)]
    _hourly(staging, "events-2026112810.jsonl.gz", events)
    ingest_clickstream(parents.store, staging, BASE_DAY)
    _curate(spark, parents.store, "clickstream_events", BASE_DAY, 0)
    data = _hourly(staging, "events-2026112810.jsonl.gz", events, mtime=1)  # compressed again: other bytes
    landing = ingest_clickstream(parents.store, staging, DAY)
    report = _curate(spark, parents.store, "clickstream_events")

    outcome = _outcome(report, _json_lines(data))
    record("clickstream redelivery", outcome)
    assert outcome == Outcome(500, 500, 500) and report.rows_unchanged == 500
    assert landing.files[0].key == "raw/clickstream_events/date=2026-11-28/hour=10/events-2026112810.jsonl.gz"


def test_an_export_with_a_byte_order_mark_lands_and_curates_every_order(spark, parents, record):
    path = parents.source / "orders.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    ingest_orders_export(parents.store, parents.source, DAY, OrdersMode.INCREMENTAL)
    outcome = _outcome(_curate(spark, parents.store, "orders"), _csv_rows(path.read_bytes()))
    record("byte order mark", outcome)
    assert outcome == Outcome(830, 830, 830)


def test_a_renamed_column_is_schema_drift_naming_the_columns_and_the_file_is_quarantined_whole(spark, parents, record):
    data = parents.rewrite("orders.csv", lambda text: text.replace("orderID", "order_id", 1))
    reports = ingest_orders_export(parents.store, parents.source, DAY, OrdersMode.INCREMENTAL)
    report = _curate(spark, parents.store, "orders")

    outcome = _outcome(report, _csv_rows(data))
    record("renamed column", outcome)
    assert "header has no orderID column" in reports["orders"].notes[0]
    assert reports["order_lines"].rows_landed == 2155 and reports["customers"].files_skipped == 1
    assert outcome == Outcome(830, 830, 0, 830, {"schema_drift": 830})
    assert report.status == "schema_drift"
    assert "removed orderID (required)" in report.message and "added order_id (ignored)" in report.message


def test_rows_with_surplus_fields_are_quarantined_whole_and_nothing_is_shifted(spark, parents, record):
    def add_surplus(text: str) -> str:
        lines = text.splitlines()
        for at, line in enumerate(lines):
            if line.startswith(("10249,", "10251,")):
                lines[at] = line + ",surplus,fields"
        return "\n".join(lines) + "\n"

    data = parents.rewrite("orders.csv", add_surplus)
    ingest_orders_export(parents.store, parents.source, DAY, OrdersMode.BATCH)
    report = _curate(spark, parents.store, "orders")

    outcome = _outcome(report, _csv_rows(data))
    record("extra columns", outcome)
    assert outcome == Outcome(830, 830, 828, 2, {"column_count": 2})
    curated = _curated(spark, parents.store, "orders")
    assert curated.where("order_id in (10249, 10251)").count() == 0
    # The declared repair still joins "Rua do Paço, 67" back into the address.
    assert curated.where("order_id = 10250").first()["ship_city"] == "Rio de Janeiro"


def test_a_quoted_line_break_is_part_of_one_row_that_curates(spark, parents, record):
    data = parents.rewrite(
        "orders.csv", lambda text: text.replace("Vins et alcools Chevalier", '"Vins et\nalcools"', 1)
    )
    ingest_orders_export(parents.store, parents.source, DAY, OrdersMode.BATCH)
    report = _curate(spark, parents.store, "orders")

    outcome = _outcome(report, _csv_rows(data))
    record("embedded newline", outcome)
    assert outcome == Outcome(830, 830, 830)
    assert _curated(spark, parents.store, "orders").where("order_id = 10248").first()["ship_city"] == "Reims"


def test_a_truncated_gzip_file_is_quarantined_with_every_row_landing_counted_in_it(spark, parents, record, tmp_path):
    staging = tmp_path / "clickstream"
    whole = _hourly(staging, "events-2026112910.jsonl.gz", [_event(number) for number in range(3000)])
    (staging / "events-2026112910.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    _hourly(staging, "events-2026112911.jsonl.gz", [_event(number) for number in range(3000, 3010)])
    [damaged, _] = ingest_clickstream(parents.store, staging, DAY).files
    report = _curate(spark, parents.store, "clickstream_events")

    outcome = _outcome(report, damaged.rows + 10)
    record("truncated gzip", outcome)
    assert 0 < damaged.rows < 3000
    assert outcome == Outcome(damaged.rows + 10, damaged.rows + 10, 10, damaged.rows, {"unreadable_file": damaged.rows})


def test_the_later_delivery_of_a_key_wins_whatever_its_file_is_called(spark, parents, record, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    header = "indicator_date,country,indicator,value,unit,source\n"
    (drop / "b.csv").write_text(header + "1998-04-01,France,fx_usd,1.10,USD,ecb\n")
    ingest_market_drop(parents.store, drop, DAY)
    (drop / "a.csv").write_text(header + "1998-04-01,France,fx_usd,1.20,USD,ecb\n")  # later, sorts first
    ingest_market_drop(parents.store, drop, DAY)
    report = _curate(spark, parents.store, "market_indicators")

    outcome = _outcome(report, 2)
    record("duplicate winner by landing order", outcome)
    assert outcome == Outcome(2, 2, 2) and report.rows_superseded == 1
    assert str(_curated(spark, parents.store, "market_indicators").first()["value"]) == "1.200000"


def test_an_exact_repeat_and_a_conflicting_repeat_in_one_delivery_are_quarantined_apart(spark, parents, record):
    repeat, conflict = _order_line(parents, "10249"), _order_line(parents, "10252")
    data = parents.rewrite(
        "orders.csv", lambda text: text + repeat + "\n" + conflict.replace(",2,51.30,", ",2,52.00,") + "\n"
    )
    ingest_orders_export(parents.store, parents.source, DAY, OrdersMode.BATCH)
    report = _curate(spark, parents.store, "orders")

    outcome = _outcome(report, _csv_rows(data))
    record("exact vs conflicting duplicate", outcome)
    assert outcome == Outcome(832, 832, 830, 2, {"duplicate_row": 1, "duplicate_key": 1})
    # The later record of the delivery wins the conflict.
    assert str(_curated(spark, parents.store, "orders").where("order_id = 10252").first()["freight"]) == "52.00"


def test_order_lines_of_an_order_that_does_not_exist_are_quarantined_as_foreign_key(spark, landed, record):
    data = landed.rewrite("order-details.csv", lambda text: text + "99999,11,14.00,1,0\n99999,42,9.80,2,0\n")
    ingest_orders_export(landed.store, landed.source, DAY, OrdersMode.BATCH)
    _curate(spark, landed.store, "orders")
    report = _curate(spark, landed.store, "order_lines", lookback_days=0)

    outcome = _outcome(report, _csv_rows(data))
    record("orphan order lines", outcome)
    assert outcome == Outcome(2157, 2157, 2155, 2, {"foreign_key": 2})


def test_a_latin_1_file_is_quarantined_whole_with_readable_raw_values(spark, tmp_path, northwind_sample_dir, record):
    source = tmp_path / "export"
    source.mkdir()
    for name in EXPORT_FILES:
        shutil.copy(northwind_sample_dir / name, source / name)
    data = (source / "customers.csv").read_text(encoding="utf-8").encode("latin-1")
    (source / "customers.csv").write_bytes(data)
    store = LocalLakeStore(tmp_path / "lake")
    ingest_orders_export(store, source, DAY, OrdersMode.BATCH)
    report = _curate(spark, store, "customers")

    outcome = _outcome(report, _csv_rows(data))
    record("Latin-1 file", outcome)
    assert outcome == Outcome(91, 91, 0, 91, {"encoding": 91})
    assert "not utf-8 as the contract declares" in report.files[0].note
    raw = {row["_raw_record"] for row in _quarantined(spark, store, "customers")}
    assert any("Königlich Essen" in record for record in raw)


def test_empty_and_header_only_export_files_give_counted_results(spark, parents, record):
    (parents.source / "orders.csv").write_text((parents.source / "orders.csv").read_text().splitlines()[0] + "\n")
    (parents.source / "order-details.csv").write_bytes(b"")
    reports = ingest_orders_export(parents.store, parents.source, DAY, OrdersMode.INCREMENTAL)
    orders, lines = _curate(spark, parents.store, "orders"), _curate(spark, parents.store, "order_lines")

    record("header-only orders.csv", _outcome(orders, 0))
    outcome = _outcome(lines, 0)
    record("empty order-details.csv", outcome)
    assert (orders.rows_landed, orders.balanced) == (0, True)
    assert outcome == Outcome(0, 0, 0)
    assert "the file is empty" in reports["order_lines"].notes[0]
    assert lines.files[0].note == "empty file: no header and no rows"


def test_clickstream_values_of_the_wrong_json_type_are_type_violations(spark, parents, record, tmp_path):
    staging = tmp_path / "clickstream"
    events = [_event(number) for number in range(3)] + [
        _event(3, session_id={"id": "S0"}),
        _event(4, page_url=["/", "/home"]),
        _event(5, event_time="2026-11-28 10:05:00"),
    ]
    data = _hourly(staging, "events-2026112810.jsonl.gz", events)
    ingest_clickstream(parents.store, staging, DAY)
    report = _curate(spark, parents.store, "clickstream_events")

    outcome = _outcome(report, _json_lines(data))
    record("wrong JSON types", outcome)
    assert outcome == Outcome(6, 6, 3, 3, {"type": 3, "pattern": 1})  # an array is no "/path" either
    assert {(r.field, r.failed_rows) for r in report.rules if r.rule == "type" and r.failed_rows} == {
        ("session_id", 1),
        ("page_url", 1),
        ("event_time", 1),
    }


def test_clickstream_schema_drift_is_judged_per_file(spark, parents, record, tmp_path):
    staging = tmp_path / "clickstream"
    _hourly(staging, "events-2026112810.jsonl.gz", [_event(number) for number in range(5)])
    drifted = [{k: v for k, v in _event(number).items() if k != "event_type"} for number in range(5, 9)]
    _hourly(staging, "events-2026112811.jsonl.gz", drifted)
    ingest_clickstream(parents.store, staging, DAY)
    report = _curate(spark, parents.store, "clickstream_events")

    outcome = _outcome(report, 9)
    record("clickstream drift in one file", outcome)
    assert outcome == Outcome(9, 9, 5, 4, {"schema_drift": 4})
    assert "events-2026112811.jsonl.gz: schema drift" in report.message
    assert "removed event_type (required)" in report.message
