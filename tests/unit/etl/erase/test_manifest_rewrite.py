"""An erasure's rewrite of a landed file in the landing manifest: new digest and rows, same place in landing order."""

from __future__ import annotations

from datetime import date

from etl.curate.deliveries import run_window
from etl.ingest.landing import land_file
from etl.ingest.manifest import Versioning, read_manifest, record_rewrite
from etl.ingest.rows import FileCount
from etl.lake import LocalLakeStore

DAY = date(2026, 11, 29)
FIRST = b"orderID,customerID\n1,ALFKI\n2,ANATR\n"
LATER = b"orderID,customerID\n2,ANATR\n3,ANTON\n"


def test_a_rewritten_file_keeps_its_landing_order_so_later_deliveries_still_win(tmp_path):
    store = LocalLakeStore(tmp_path)
    first = land_file(store, "orders", DAY, "orders-1.csv", FIRST, FileCount(2, ("orderID", "customerID")))
    land_file(store, "orders", DAY, "orders-2.csv", LATER, FileCount(2, ("orderID", "customerID")))
    erased = b"orderID,customerID\n2,ANATR\n"

    entry = record_rewrite(store, first.key, erased, rows_removed=1)

    assert (entry.rows, entry.versioning, entry.landed_on, entry.header) == (
        1,
        Versioning.ERASURE,
        DAY,
        ["orderID", "customerID"],
    )
    files = run_window(store, "orders", DAY, 0).files
    assert [(f.key.rsplit("/", 1)[1], f.sequence, f.rows) for f in files] == [
        ("orders-1.csv", 0, 1),
        ("orders-2.csv", 1, 2),
    ]
    # The original bytes' digest stays in the manifest: the same delivery sent again is still a no-op.
    assert land_file(store, "orders", DAY, "orders-1.csv", FIRST, FileCount(2)).action.value == "skipped"
    assert len(read_manifest(store, "orders")) == 3


def test_a_key_no_landing_recorded_is_not_written_into_the_manifest(tmp_path):
    store = LocalLakeStore(tmp_path)
    assert record_rewrite(store, "raw/_versions/orders/date=2026-11-29/orders.csv.v1", b"x", 1) is None
    assert read_manifest(store, "orders") == []
