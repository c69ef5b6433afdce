"""SFTP arrivals: routed by partner and name, landed through the manifest, or rejected with the reason and kept."""

from __future__ import annotations

import gzip
import json
import re
from datetime import date

import pytest

from etl.ingest.arrivals import ArrivalOutcome, land_arrival, land_staged, rejected_key, staged_partition
from etl.ingest.manifest import read_manifest
from etl.lake import LocalLakeStore

DAY = date(2026, 11, 30)
ORDERS = b"orderID,customerID\n10248,VINET\n10249,TOMSP\n"


@pytest.fixture
def stores(tmp_path):
    return LocalLakeStore(tmp_path / "transfer"), LocalLakeStore(tmp_path / "lake")


def _upload(incoming, key: str, data: bytes) -> str:
    incoming.put_bytes(key, data)
    return key


def test_an_order_system_export_lands_in_its_datasets_raw_partition_and_leaves_incoming(stores):
    incoming, lake = stores
    key = _upload(incoming, "incoming/order-system/orders.csv", ORDERS)

    result = land_arrival(incoming, lake, key, DAY)

    assert result.outcome is ArrivalOutcome.LANDED
    assert (result.dataset, result.rows) == ("orders", 2)
    assert result.lake_key == "raw/orders/date=2026-11-30/orders.csv"
    assert lake.get_bytes(result.lake_key) == ORDERS
    assert not incoming.exists(key)
    assert [entry.source_name for entry in read_manifest(lake, "orders")] == ["orders.csv"]


@pytest.mark.parametrize(
    ("name", "dataset"),
    [("order-details.csv", "order_lines"), ("customers.csv", "customers")],
)
def test_each_file_of_the_nightly_export_goes_to_its_own_dataset(stores, name, dataset):
    incoming, lake = stores
    result = land_arrival(incoming, lake, _upload(incoming, f"incoming/order-system/{name}", ORDERS), DAY)
    assert (result.outcome, result.dataset) == (ArrivalOutcome.LANDED, dataset)


def test_every_csv_of_the_market_data_vendor_lands_as_market_indicators(stores):
    incoming, lake = stores
    key = _upload(incoming, "incoming/market-data-vendor/indicators-2026-11-30.csv", b"indicator_date\n2026-11-30\n")
    result = land_arrival(incoming, lake, key, DAY)
    assert result.lake_key == "raw/market_indicators/date=2026-11-30/indicators-2026-11-30.csv"


def test_the_same_bytes_delivered_again_are_skipped_by_the_manifest_and_still_leave_incoming(stores):
    incoming, lake = stores
    land_arrival(incoming, lake, _upload(incoming, "incoming/order-system/orders.csv", ORDERS), DAY)
    again = land_arrival(incoming, lake, _upload(incoming, "incoming/order-system/orders.csv", ORDERS), DAY)

    assert again.outcome is ArrivalOutcome.SKIPPED
    assert len(read_manifest(lake, "orders")) == 1
    assert not incoming.exists("incoming/order-system/orders.csv")


def test_a_corrected_export_the_same_day_lands_as_a_new_version(stores):
    incoming, lake = stores
    land_arrival(incoming, lake, _upload(incoming, "incoming/order-system/orders.csv", ORDERS), DAY)
    corrected = land_arrival(
        incoming, lake, _upload(incoming, "incoming/order-system/orders.csv", ORDERS + b"10250,HANAR\n"), DAY
    )
    assert (corrected.outcome, corrected.rows) == (ArrivalOutcome.NEW_VERSION, 3)


def test_an_event_delivered_twice_finds_the_file_gone_and_does_nothing(stores):
    incoming, lake = stores
    key = _upload(incoming, "incoming/order-system/orders.csv", ORDERS)
    land_arrival(incoming, lake, key, DAY)
    assert land_arrival(incoming, lake, key, DAY).outcome is ArrivalOutcome.GONE


@pytest.mark.parametrize(
    ("key", "data", "reason"),
    [
        (
            "incoming/order-system/invoices.csv",
            ORDERS,
            "order-system delivers customers.csv, order-details.csv, orders.csv",
        ),
        ("incoming/market-data-vendor/indicators.xlsx", b"PK", r"market-data-vendor delivers \*\.csv"),
        ("incoming/order-system/orders.csv", b"", r"the file is empty \(0 bytes\)"),
        ("incoming/order-system/2026/orders.csv", ORDERS, "not in a subfolder"),
        ("incoming/someone-else/orders.csv", ORDERS, "no partner folder 'someone-else'"),
    ],
)
def test_a_file_that_cannot_be_landed_is_moved_to_rejected_with_its_reason(stores, key, data, reason):
    incoming, lake = stores
    _upload(incoming, key, data)

    result = land_arrival(incoming, lake, key, DAY)

    assert result.outcome is ArrivalOutcome.REJECTED
    assert result.rows == 0
    assert re.search(reason, result.reason)
    assert not incoming.exists(key)
    assert incoming.get_bytes(result.rejected_key) == data
    record = json.loads(incoming.get_bytes(f"{result.rejected_key}.reason.json"))
    assert (record["incoming_key"], record["reason"], record["size_bytes"]) == (key, result.reason, len(data))
    assert not list(lake.list_keys("raw/"))


def test_rejected_files_are_kept_per_partner_and_day():
    assert rejected_key("order-system", DAY, "x.csv") == "rejected/order-system/date=2026-11-30/x.csv"


@pytest.mark.parametrize(
    "key",
    [
        "incoming/order-system/orders.csv.filepart",
        "incoming/order-system/.orders.csv",
        "incoming/order-system/",
        "incoming/order-system/archive/",
        "rejected/order-system/date=2026-11-30/x.csv",
    ],
)
def test_uploads_in_progress_folders_and_objects_outside_incoming_are_left_alone(stores, key):
    incoming, lake = stores
    _upload(incoming, key, b"partial")
    result = land_arrival(incoming, lake, key, DAY)
    assert result.outcome is ArrivalOutcome.IGNORED
    assert incoming.exists(key)


STAGED_NAME = "northwind-dev-clickstream-1-2026-11-30-23-59-01-9a.jsonl.gz"
STAGED = f"raw/clickstream_events/_staging/date=2026-11-30/hour=23/{STAGED_NAME}"
EVENTS = gzip.compress(b'{"event_id": "e-1"}\n\n{"event_id": "e-2"}\n{"event_id": "e-3"}\n')


def test_a_staged_object_lands_in_the_hour_it_arrived_with_its_rows_counted_and_the_staged_copy_goes(tmp_path):
    lake = LocalLakeStore(tmp_path)
    lake.put_bytes(STAGED, EVENTS)

    # The event reports the object on the next day; the partition is still the hour it was staged under.
    result = land_staged(lake, STAGED, date(2026, 12, 1))

    assert result.outcome is ArrivalOutcome.LANDED
    assert result.lake_key == f"raw/clickstream_events/date=2026-11-30/hour=23/{STAGED_NAME}"
    assert (result.rows, lake.get_bytes(result.lake_key)) == (3, EVENTS)
    assert not lake.exists(STAGED)
    [entry] = read_manifest(lake, "clickstream_events")
    assert (entry.rows, entry.landed_on, entry.problem) == (3, date(2026, 12, 1), None)


def test_a_staged_object_delivered_again_is_skipped_and_an_event_for_a_landed_one_is_gone(tmp_path):
    lake = LocalLakeStore(tmp_path)
    lake.put_bytes(STAGED, EVENTS)
    land_staged(lake, STAGED, DAY)
    assert land_staged(lake, STAGED, DAY).outcome is ArrivalOutcome.GONE
    lake.put_bytes(STAGED, EVENTS)
    assert land_staged(lake, STAGED, DAY).outcome is ArrivalOutcome.SKIPPED
    assert len(read_manifest(lake, "clickstream_events")) == 1


def test_a_truncated_staged_object_lands_with_its_damage_recorded_for_curation_to_quarantine(tmp_path):
    lake = LocalLakeStore(tmp_path)
    lake.put_bytes(STAGED, EVENTS[:-12])
    result = land_staged(lake, STAGED, DAY)
    assert result.outcome is ArrivalOutcome.LANDED
    assert "truncated or corrupt" in result.reason
    assert read_manifest(lake, "clickstream_events")[0].problem.rule == "unreadable_file"


@pytest.mark.parametrize(
    "relative",
    ["date=2026-11-30/events.jsonl.gz", "date=2026-11-30/hour=24/a.jsonl.gz", "date=2026-11-30/hour=07/a.csv"],
)
def test_objects_that_are_not_staged_hourly_objects_are_left_alone(tmp_path, relative):
    assert staged_partition(relative) is None
    lake = LocalLakeStore(tmp_path)
    lake.put_bytes(f"raw/clickstream_events/_staging/{relative}", EVENTS)
    result = land_staged(lake, f"raw/clickstream_events/_staging/{relative}", DAY)
    assert result.outcome is ArrivalOutcome.IGNORED
    assert lake.exists(f"raw/clickstream_events/_staging/{relative}")
