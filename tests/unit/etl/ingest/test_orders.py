"""The nightly orders export: batch landing, and incremental landing of the records new or changed since the last."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from etl.ingest.errors import IngestError
from etl.ingest.manifest import read_manifest
from etl.ingest.orders import OrdersMode, ingest_orders_export, read_state
from etl.lake import LocalLakeStore

DAY = date(2026, 11, 29)
ORDERS_HEADER = "orderID,customerID,orderDate\n"
LINES_HEADER = "orderID,productID,unitPrice,quantity,discount\n"
ORDERS = ["1,ALFKI,1997-01-02 00:00:00.000\n", "2,ALFKI,1997-01-05 00:00:00.000\n"]
LINES = ["1,11,14.00,12,0\n", "2,42,9.80,10,0\n"]


def _write_export(folder, orders: list[str], lines: list[str], orders_header: str = ORDERS_HEADER) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "orders.csv").write_text(orders_header + "".join(orders), encoding="utf-8")
    (folder / "order-details.csv").write_text(LINES_HEADER + "".join(lines), encoding="utf-8")
    (folder / "customers.csv").write_text("customerID,companyName\nALFKI,Alfreds\n", encoding="utf-8")


def _records(store, report) -> list[list[str]]:
    return [
        row
        for landed in report.files
        for row in list(csv.reader(io.StringIO(store.get_bytes(landed.key).decode())))[1:]
    ]


@pytest.fixture
def landed_once(tmp_path):
    source, store = tmp_path / "export", LocalLakeStore(tmp_path / "lake")
    _write_export(source, ORDERS, LINES)
    reports = ingest_orders_export(store, source, DAY, OrdersMode.INCREMENTAL)
    return source, store, reports


def test_batch_mode_lands_the_three_export_files_byte_for_byte(tmp_path, northwind_sample_dir):
    store = LocalLakeStore(tmp_path / "lake")
    reports = ingest_orders_export(store, northwind_sample_dir, DAY, OrdersMode.BATCH)

    landed = store.get_bytes("raw/orders/date=2026-11-29/orders.csv")
    assert landed == (northwind_sample_dir / "orders.csv").read_bytes()
    assert (
        store.get_bytes("raw/order_lines/date=2026-11-29/order-details.csv")
        == (northwind_sample_dir / "order-details.csv").read_bytes()
    )
    assert {name: r.files_landed for name, r in reports.items()} == {"orders": 1, "order_lines": 1, "customers": 1}
    assert reports["order_lines"].rows_landed == 2155


def test_the_first_incremental_landing_takes_every_record_and_sets_the_watermark(landed_once):
    _, store, reports = landed_once
    assert (reports["orders"].rows_landed, reports["order_lines"].rows_landed) == (2, 2)
    assert reports["orders"].files[0].key == "raw/orders/date=2026-11-29/orders-changes-000001.csv"
    assert read_state(store).watermark == date(1997, 1, 5) == reports["orders"].watermark


def test_incremental_landing_takes_corrections_late_orders_and_orphan_lines_but_not_unchanged_records(landed_once):
    source, store, _ = landed_once
    corrected = "1,ANATR,1997-01-02 00:00:00.000\n"  # another customer for an old order
    late = "3,ALFKI,1996-12-30 00:00:00.000\n"  # dated before the watermark
    _write_export(source, [corrected, ORDERS[1], late], [*LINES, "2,43,5.00,1,0\n", "99,7,1.00,1,0\n"])

    reports = ingest_orders_export(store, source, date(2026, 11, 30), OrdersMode.INCREMENTAL)

    assert _records(store, reports["orders"]) == [corrected.strip().split(","), late.strip().split(",")]
    assert _records(store, reports["order_lines"]) == [
        ["2", "43", "5.00", "1", "0"],
        ["99", "7", "1.00", "1", "0"],
    ]
    assert read_state(store).watermark == date(1997, 1, 5)


def test_a_future_order_date_lands_for_curation_to_quarantine_but_never_moves_the_watermark(landed_once):
    source, store, _ = landed_once
    future = "3,ALFKI,2099-01-01 00:00:00.000\n"
    _write_export(source, [*ORDERS, future], LINES)
    first = ingest_orders_export(store, source, date(2026, 11, 30), OrdersMode.INCREMENTAL)
    later = "4,ALFKI,1997-01-06 00:00:00.000\n"
    _write_export(source, [*ORDERS, future, later], LINES)
    second = ingest_orders_export(store, source, date(2026, 12, 1), OrdersMode.INCREMENTAL)

    assert first["orders"].rows_landed == 1 and first["orders"].watermark == date(1997, 1, 5)
    assert _records(store, second["orders"]) == [later.strip().split(",")]
    assert second["orders"].watermark == date(1997, 1, 6)


def test_an_unchanged_export_lands_nothing_again(landed_once):
    source, store, _ = landed_once
    again = ingest_orders_export(store, source, date(2026, 11, 30), OrdersMode.INCREMENTAL)
    assert again["orders"].files == [] and again["order_lines"].files == []
    assert again["customers"].files_skipped == 1


def test_records_sharing_a_key_land_together_once(tmp_path):
    source, store = tmp_path / "export", LocalLakeStore(tmp_path / "lake")
    _write_export(source, [*ORDERS, ORDERS[0].replace("ALFKI", "BERGS")], LINES)
    first = ingest_orders_export(store, source, DAY, OrdersMode.INCREMENTAL)
    second = ingest_orders_export(store, source, date(2026, 11, 30), OrdersMode.INCREMENTAL)
    assert (first["orders"].rows_landed, second["orders"].rows_landed) == (3, 0)


def test_a_byte_order_mark_and_crlf_line_ends_do_not_stop_the_comparison(tmp_path):
    source, store = tmp_path / "export", LocalLakeStore(tmp_path / "lake")
    _write_export(source, ORDERS, LINES)
    (source / "orders.csv").write_bytes(b"\xef\xbb\xbf" + (source / "orders.csv").read_bytes().replace(b"\n", b"\r\n"))
    reports = ingest_orders_export(store, source, DAY, OrdersMode.INCREMENTAL)
    assert reports["orders"].rows_landed == 2 and reports["orders"].notes == []
    assert read_manifest(store, "orders")[0].header[0] == "orderID"


@pytest.mark.parametrize(
    ("damage", "note"),
    [
        (lambda path: path.write_text(path.read_text().replace("orderID", "order_id")), "header has no orderID"),
        (lambda path: path.write_bytes(path.read_bytes().replace(b"ALFKI", b"ALFK\xc9")), "not utf-8"),
        (lambda path: path.write_bytes(b""), "the file is empty"),
    ],
    ids=["renamed key column", "another encoding", "empty"],
)
def test_a_file_that_cannot_be_compared_lands_whole_with_a_note_and_the_rest_of_the_export_lands(
    tmp_path, damage, note
):
    source, store = tmp_path / "export", LocalLakeStore(tmp_path / "lake")
    _write_export(source, ORDERS, LINES)
    damage(source / "orders.csv")

    reports = ingest_orders_export(store, source, DAY, OrdersMode.INCREMENTAL)

    [landed] = reports["orders"].files
    assert landed.key == "raw/orders/date=2026-11-29/orders.csv"
    assert store.get_bytes(landed.key) == (source / "orders.csv").read_bytes()
    assert len(reports["orders"].notes) == 1 and note in reports["orders"].notes[0]
    assert (reports["order_lines"].rows_landed, reports["customers"].files_landed) == (2, 1)
    assert "orders" not in read_state(store).digests


def test_a_missing_export_file_is_a_clear_error_naming_the_file_and_nothing_lands(tmp_path):
    store = LocalLakeStore(tmp_path / "lake")
    (tmp_path / "orders.csv").write_text(ORDERS_HEADER)
    (tmp_path / "customers.csv").write_text("customerID\nALFKI\n")
    with pytest.raises(IngestError, match=r"order lines export not found at .*order-details\.csv"):
        ingest_orders_export(store, tmp_path, DAY, OrdersMode.INCREMENTAL)
    assert list(store.list_keys("raw/")) == []
