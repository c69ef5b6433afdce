"""The nightly orders export: batch landing and incremental landing by the orderDate watermark."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from etl.ingest.errors import IngestError
from etl.ingest.orders import (
    OrdersMode,
    extract_newer_orders,
    ingest_orders_export,
    read_watermark,
)
from etl.lake import LocalLakeStore

DAY = date(2026, 11, 29)
ORDERS_HEADER = "orderID,customerID,orderDate\n"
LINES_HEADER = "orderID,productID,unitPrice,quantity,discount\n"


def _write_export(folder, orders: list[str], lines: list[str]) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "orders.csv").write_text(ORDERS_HEADER + "".join(orders), encoding="utf-8")
    (folder / "order-details.csv").write_text(LINES_HEADER + "".join(lines), encoding="utf-8")
    (folder / "customers.csv").write_text("customerID,companyName\nALFKI,Alfreds\n", encoding="utf-8")


def _order_ids(data: bytes) -> list[str]:
    return [row[0] for row in list(csv.reader(io.StringIO(data.decode())))[1:]]


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
    assert (
        reports["order_lines"].rows_landed
        == len((northwind_sample_dir / "order-details.csv").read_text().splitlines()) - 1
    )


def test_first_incremental_landing_takes_every_order_and_sets_the_watermark_to_the_latest_order_date(tmp_path):
    source = tmp_path / "export"
    _write_export(
        source,
        ["1,ALFKI,1997-01-02 00:00:00.000\n", "2,ALFKI,1997-01-05 00:00:00.000\n"],
        ["1,11,14.00,12,0\n", "2,42,9.80,10,0\n"],
    )
    store = LocalLakeStore(tmp_path / "lake")
    reports = ingest_orders_export(store, source, DAY, OrdersMode.INCREMENTAL)

    assert reports["orders"].rows_landed == 2
    assert reports["order_lines"].rows_landed == 2
    assert read_watermark(store) == datetime(1997, 1, 5)


def test_incremental_landing_takes_only_orders_after_the_watermark_and_their_lines(tmp_path):
    source = tmp_path / "export"
    old_orders = ["1,ALFKI,1997-01-02 00:00:00.000\n", "2,ALFKI,1997-01-05 00:00:00.000\n"]
    old_lines = ["1,11,14.00,12,0\n", "2,42,9.80,10,0\n"]
    _write_export(source, old_orders, old_lines)
    store = LocalLakeStore(tmp_path / "lake")
    ingest_orders_export(store, source, DAY, OrdersMode.INCREMENTAL)
    _write_export(
        source,
        [*old_orders, "3,ANATR,1997-01-07 00:00:00.000\n"],
        [*old_lines, "3,11,14.00,1,0\n", "3,12,15.00,2,0.1\n"],
    )

    reports = ingest_orders_export(store, source, date(2026, 11, 30), OrdersMode.INCREMENTAL)

    [orders_file] = reports["orders"].files
    [lines_file] = reports["order_lines"].files
    assert orders_file.key == "raw/orders/date=2026-11-30/orders-after-19970105T000000.csv"
    assert _order_ids(store.get_bytes(orders_file.key)) == ["3"]
    assert _order_ids(store.get_bytes(lines_file.key)) == ["3", "3"]
    assert read_watermark(store) == datetime(1997, 1, 7)


def test_incremental_landing_with_no_newer_orders_lands_nothing(tmp_path):
    source = tmp_path / "export"
    _write_export(source, ["1,ALFKI,1997-01-02 00:00:00.000\n"], ["1,11,14.00,12,0\n"])
    store = LocalLakeStore(tmp_path / "lake")
    ingest_orders_export(store, source, DAY, OrdersMode.INCREMENTAL)

    again = ingest_orders_export(store, source, DAY, OrdersMode.INCREMENTAL)

    assert again["orders"].files == [] and again["order_lines"].files == []
    assert again["customers"].files_skipped == 1


def test_orders_with_unparseable_dates_go_with_the_extract_for_curation_to_quarantine():
    orders = (ORDERS_HEADER + "1,ALFKI,not a date\n2,ALFKI,1997-01-05 00:00:00.000\n").encode()
    lines = (LINES_HEADER + "1,11,14.00,12,0\n2,42,9.80,10,0\n").encode()

    extract = extract_newer_orders(orders, lines, watermark=datetime(1997, 1, 1))

    assert _order_ids(extract.orders_csv) == ["1", "2"]
    assert extract.order_line_rows == 2
    assert extract.new_watermark == datetime(1997, 1, 5)


def test_lines_of_no_order_in_the_export_go_with_the_extract_but_lines_of_older_orders_do_not():
    orders = (ORDERS_HEADER + "1,ALFKI,1996-12-30 00:00:00.000\n2,ALFKI,1997-01-05 00:00:00.000\n").encode()
    lines = (LINES_HEADER + "1,11,14.00,12,0\n2,42,9.80,10,0\n99,7,1.00\n98,7,1.00,1,0,surplus\n").encode()

    extract = extract_newer_orders(orders, lines, watermark=datetime(1997, 1, 1))

    assert _order_ids(extract.order_lines_csv) == ["2", "99", "98"]
    assert extract.order_line_rows == 3


def test_orphan_lines_do_not_land_when_no_order_is_newer():
    orders = (ORDERS_HEADER + "1,ALFKI,1996-12-30 00:00:00.000\n").encode()
    lines = (LINES_HEADER + "1,11,14.00,12,0\n99,7,1.00\n").encode()

    extract = extract_newer_orders(orders, lines, watermark=datetime(1997, 1, 1))

    assert (extract.order_rows, extract.order_line_rows) == (0, 0)


def test_extract_keeps_bytes_that_are_not_utf8_unchanged_for_curation():
    latin1_row = "2,ZOË,1997-01-05 00:00:00.000\n".encode("latin-1")
    orders = ORDERS_HEADER.encode() + latin1_row
    extract = extract_newer_orders(orders, LINES_HEADER.encode(), watermark=None)

    assert extract.orders_csv.endswith(latin1_row)


def test_a_missing_export_file_is_a_clear_error_naming_the_file(tmp_path):
    store = LocalLakeStore(tmp_path / "lake")
    with pytest.raises(IngestError, match=r"order lines export not found at .*order-details\.csv"):
        (tmp_path / "orders.csv").write_text(ORDERS_HEADER)
        ingest_orders_export(store, tmp_path, DAY, OrdersMode.BATCH)
