"""curate_dataset end to end on a local lake: counts balance, bad input is quarantined, reruns change nothing."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from etl.curate import RunStatus, curate_dataset
from etl.curate.report import report_key
from etl.lake import LocalLakeStore

RUN = date(2026, 11, 29)
KEY = b"test-pseudonym-key"


def _land(store, dataset, day, name, data: bytes):
    store.put_bytes(f"raw/{dataset}/date={day.isoformat()}/{name}", data)


def _curated(spark, store, dataset):
    return spark.read.parquet(store.uri(f"curated/{dataset}"))


def _quarantined(spark, store, dataset, run_date=RUN):
    rows = spark.read.parquet(store.uri(f"quarantine/{dataset}/run_date={run_date.isoformat()}")).collect()
    return sorted(([f["rule"] for f in row["_failures"]], row["_raw_record"], row["_source_file"]) for row in rows)


def _data_rows(path: Path) -> int:
    return len(path.read_bytes().splitlines()) - 1


@pytest.fixture(scope="module")
def northwind(spark, tmp_path_factory, northwind_sample_dir):
    """The real Northwind export landed once and curated: orders, order lines and customers."""
    store = LocalLakeStore(tmp_path_factory.mktemp("lake"))
    files = {"orders": "orders.csv", "order_lines": "order-details.csv", "customers": "customers.csv"}
    for dataset, name in files.items():
        _land(store, dataset, RUN, name, (northwind_sample_dir / name).read_bytes())
    reports = {dataset: curate_dataset(spark, store, dataset, RUN, pseudonym_key=KEY) for dataset in files}
    return store, reports, {dataset: _data_rows(northwind_sample_dir / name) for dataset, name in files.items()}


@pytest.mark.parametrize("dataset", ["orders", "order_lines", "customers"])
def test_the_northwind_sample_curates_with_every_landed_row_accounted_for(spark, northwind, dataset):
    store, reports, landed = northwind
    report = reports[dataset]
    assert report.rows_landed == landed[dataset]
    assert report.balanced
    assert report.rows_curated == _curated(spark, store, dataset).count()
    assert report.status is RunStatus.OK


def test_northwind_addresses_with_unquoted_commas_are_curated_whole(spark, northwind):
    store, _, _ = northwind
    row = _curated(spark, store, "orders").where("order_id = 10250").first()
    assert (row["ship_city"], row["ship_country"], str(row["order_date"]), str(row["order_month"])) == (
        "Rio de Janeiro",
        "Brazil",
        "1996-07-08",
        "1996-07-01",
    )


def test_customer_keys_are_pseudonymized_alike_so_orders_still_join_customers(spark, northwind):
    store, _, _ = northwind
    orders, customers = _curated(spark, store, "orders"), _curated(spark, store, "customers")
    assert orders.where("customer_id = 'VINET'").count() == 0
    assert orders.join(customers, "customer_id", "left_anti").count() == 0
    assert customers.where("length(contact_name) = 64 and length(phone) = 64").count() == customers.count()


def test_the_run_report_is_written_as_json_with_counts_rules_drift_and_policy(northwind):
    store, reports, _ = northwind
    document = json.loads(store.get_bytes(report_key("orders", RUN)))
    assert document["rows_landed"] == reports["orders"].rows_landed
    assert document["balanced"] is True
    assert document["status"] == "ok"
    assert document["drift"] == {"added": [], "removed": [], "retyped": [], "breaking": False}
    assert {"rule": "duplicate_key", "field": "order_id", "failed_rows": 0} in document["rules"]
    assert "UTC" in document["timestamp_policy"]
    assert document["partition_by"] == ["order_month"]


ORDER_HEADER = (
    "orderID,customerID,employeeID,orderDate,requiredDate,shippedDate,shipVia,freight,shipName,shipAddress,"
    "shipCity,shipRegion,shipPostalCode,shipCountry\n"
)


def _order(order_id, customer="VINET", day="1996-07-04", freight="32.38", ship_via="3"):
    return (
        f"{order_id},{customer},5,{day} 00:00:00.000,1996-08-01 00:00:00.000,NULL,{ship_via},{freight},"
        "Vins et alcools Chevalier,59 rue de l'Abbaye,Reims,NULL,51100,France\n"
    )


@pytest.fixture(scope="module")
def malformed_orders(spark, tmp_path_factory):
    """Orders with a duplicate key, a wrong column count, a bad date, a non-UTF-8 row and several failures."""
    store = LocalLakeStore(tmp_path_factory.mktemp("lake"))
    earlier = date(2026, 11, 28)
    _land(store, "orders", earlier, "orders.csv", (ORDER_HEADER + _order(1) + _order(2)).encode())
    body = (
        ORDER_HEADER
        + _order(1, freight="40.00")
        + _order(3, day="1996-13-45")
        + "4,VINET,5\n"
        + _order(6, customer="vinet", freight="-1", ship_via="9")
    ).encode() + _order(5).replace("Reims", "Sa\xefnt").encode("latin-1")
    _land(store, "orders", RUN, "orders.csv", body)
    report = curate_dataset(spark, store, "orders", RUN, lookback_days=1, pseudonym_key=KEY)
    return store, report


def test_malformed_orders_end_in_quarantine_with_their_rule_and_the_counts_balance(spark, malformed_orders):
    store, report = malformed_orders
    assert (report.rows_landed, report.rows_curated, report.rows_quarantined) == (7, 2, 5)
    assert report.balanced and report.status is RunStatus.QUARANTINED_ROWS
    rules = [entry[0] for entry in _quarantined(spark, store, "orders")]
    assert sorted(rules) == sorted(
        [["duplicate_key"], ["type"], ["column_count"], ["encoding"], ["pattern", "enum", "range"]]
    )
    counts = {(r.rule, r.field): r.failed_rows for r in report.rules}
    assert counts[("duplicate_key", "order_id")] == 1
    assert counts[("type", "order_date")] == 1
    assert counts[("column_count", None)] == 1


def test_the_duplicate_from_the_latest_landing_wins_and_the_older_one_is_quarantined(spark, malformed_orders):
    store, _ = malformed_orders
    kept = _curated(spark, store, "orders").where("order_id = 1").collect()
    assert [str(row["freight"]) for row in kept] == ["40.00"]
    duplicate = [e for e in _quarantined(spark, store, "orders") if e[0] == ["duplicate_key"]]
    assert duplicate[0][2] == "raw/orders/date=2026-11-28/orders.csv"


def _events_gz(lines: list[bytes]) -> bytes:
    return gzip.compress(b"\n".join(lines) + b"\n")


def _event(event_id: str, **overrides) -> bytes:
    event = {
        "event_id": event_id,
        "session_id": "S1",
        "customer_id": "ALFKI",
        "event_type": "page_view",
        "product_id": None,
        "page_url": "/",
        "event_time": "2026-11-29T10:00:00Z",
        "user_agent": "Mozilla/5.0",
        "ip_address": "10.0.0.1",
        "order_id": None,
    }
    event.update(overrides)
    return json.dumps(event).encode()


@pytest.fixture(scope="module")
def clickstream(spark, tmp_path_factory):
    store = LocalLakeStore(tmp_path_factory.mktemp("lake"))
    ids = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(4)]
    good = _events_gz(
        [
            _event(ids[0]),
            _event(ids[1], event_time="2026-11-28T23:59:59Z"),
            b'{"event_id": ',
            _event(ids[2], event_type="teleport"),
            _event(ids[3]).replace(b"Mozilla", b"Moz\xe9"),
        ]
    )
    truncated = _events_gz([_event(f"10000000-0000-4000-8000-{i:012d}") for i in range(3000)])
    _land(store, "clickstream_events", RUN, "events-2026112910.jsonl.gz", good)
    _land(store, "clickstream_events", RUN, "events-2026112911.jsonl.gz", truncated[: len(truncated) // 2])
    return store, curate_dataset(spark, store, "clickstream_events", RUN, pseudonym_key=KEY)


def test_a_truncated_gzip_file_is_one_quarantined_record_and_the_other_files_still_curate(spark, clickstream):
    store, report = clickstream
    assert (report.rows_landed, report.rows_curated, report.rows_quarantined) == (6, 2, 4)
    assert report.balanced
    unreadable = [e for e in _quarantined(spark, store, "clickstream_events") if e[0] == ["unreadable_file"]]
    assert unreadable[0][2] == "raw/clickstream_events/date=2026-11-29/events-2026112911.jsonl.gz"
    assert "input stream" in unreadable[0][1]


def test_bad_json_lines_and_encodings_are_quarantined_and_events_partition_by_utc_date(spark, clickstream):
    store, _ = clickstream
    rules = sorted(e[0] for e in _quarantined(spark, store, "clickstream_events"))
    assert rules == [["encoding"], ["enum"], ["malformed_json"], ["unreadable_file"]]
    dates = sorted(str(r["event_date"]) for r in _curated(spark, store, "clickstream_events").collect())
    assert dates == ["2026-11-28", "2026-11-29"]


def test_catalog_pages_curate_one_row_per_product(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    item = {
        "productID": 1,
        "productName": "Chai",
        "supplierID": 1,
        "categoryID": 1,
        "quantityPerUnit": "10 boxes",
        "unitPrice": 18.0,
        "unitsInStock": 39,
        "unitsOnOrder": 0,
        "reorderLevel": 10,
        "discontinued": False,
        "categoryName": "Beverages",
    }
    page = {"items": [item, {**item, "productID": 2, "unitsInStock": -5}], "page": 1, "next_page": None}
    _land(store, "products", RUN, "page-0001.json", json.dumps(page).encode())
    report = curate_dataset(spark, store, "products", RUN, pseudonym_key=KEY)
    assert (report.rows_landed, report.rows_curated, report.rows_quarantined) == (2, 1, 1)
    row = _curated(spark, store, "products").first()
    assert (row["product_id"], str(row["unit_price"]), row["discontinued"]) == (1, "18.00", False)


MARKET_HEADER = "indicator_date,country,indicator,value,unit,source\n"


def _market(*rows: str) -> bytes:
    return (MARKET_HEADER + "".join(f"{row}\n" for row in rows)).encode()


def _curated_rows(spark, store, dataset):
    return sorted(tuple(str(v) for v in row) for row in _curated(spark, store, dataset).collect())


def test_late_data_rewrites_only_its_partition_keeps_other_rows_and_a_rerun_changes_nothing(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    first, second = date(2026, 11, 28), RUN
    _land(
        store,
        "market_indicators",
        first,
        "m.csv",
        _market(
            "2026-11-01,France,fx_usd,1.08,USD,ecb",
            "2026-11-01,Spain,fx_usd,1.08,USD,ecb",
            "2026-11-02,France,fx_usd,1.09,USD,ecb",
        ),
    )
    curate_dataset(spark, store, "market_indicators", first, lookback_days=0, pseudonym_key=KEY)
    untouched = sorted(p.name for p in (tmp_path / "curated/market_indicators/indicator_date=2026-11-02").iterdir())

    _land(store, "market_indicators", second, "m.csv", _market("2026-11-01,France,fx_usd,1.10,USD,ecb"))
    report = curate_dataset(spark, store, "market_indicators", second, lookback_days=0, pseudonym_key=KEY)
    after_late = _curated_rows(spark, store, "market_indicators")
    assert report.rows_curated == 1
    assert {(r[5], r[2]) for r in after_late if r[0] == "France"} == {
        ("2026-11-01", "1.100000"),
        ("2026-11-02", "1.090000"),
    }
    assert len(after_late) == 3
    assert sorted(p.name for p in (tmp_path / "curated/market_indicators/indicator_date=2026-11-02").iterdir()) == (
        untouched
    )

    curate_dataset(spark, store, "market_indicators", second, lookback_days=0, pseudonym_key=KEY)
    assert _curated_rows(spark, store, "market_indicators") == after_late


def test_rerunning_an_unpartitioned_dataset_gives_identical_output(spark, northwind):
    store, reports, _ = northwind
    before = _curated_rows(spark, store, "customers")
    again = curate_dataset(spark, store, "customers", RUN, pseudonym_key=KEY)
    assert (again.rows_curated, again.balanced) == (reports["customers"].rows_curated, True)
    assert _curated_rows(spark, store, "customers") == before


def test_breaking_drift_stops_the_dataset_with_a_message_and_writes_nothing_curated(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    renamed = MARKET_HEADER.replace("value", "amount")
    _land(store, "market_indicators", RUN, "m.csv", (renamed + "2026-11-01,France,fx_usd,1.08,USD,ecb\n").encode())
    report = curate_dataset(spark, store, "market_indicators", RUN, pseudonym_key=KEY)
    assert report.status is RunStatus.STOPPED_SCHEMA_DRIFT
    assert (report.drift.removed, report.drift.added, report.drift.breaking) == (("value",), ("amount",), True)
    assert "removed value (required)" in report.message and "contract version" in report.message
    assert (report.rows_landed, report.rows_curated, report.rows_quarantined) == (1, 0, 0)
    assert not (tmp_path / "curated").exists()
    assert store.exists(report_key("market_indicators", RUN))


def test_a_column_whose_values_all_fail_to_convert_is_retyped_drift(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    _land(
        store,
        "order_lines",
        RUN,
        "lines.csv",
        b"orderID,productID,unitPrice,quantity,discount\n10248,11,fourteen,12,0\n10248,42,nine,10,0\n",
    )
    report = curate_dataset(spark, store, "order_lines", RUN, pseudonym_key=KEY)
    assert report.status is RunStatus.STOPPED_SCHEMA_DRIFT
    assert report.drift.retyped == ("unitPrice",)


def test_a_window_without_raw_files_reports_zero_rows(spark, tmp_path):
    report = curate_dataset(spark, LocalLakeStore(tmp_path), "orders", RUN, pseudonym_key=KEY)
    assert (report.rows_landed, report.status, report.balanced, report.source_files) == (0, RunStatus.OK, True, 0)


def test_a_negative_lookback_is_refused(spark, tmp_path):
    with pytest.raises(ValueError, match="lookback_days"):
        curate_dataset(spark, LocalLakeStore(tmp_path), "orders", RUN, lookback_days=-1, pseudonym_key=KEY)


def test_a_failure_that_is_not_an_unreadable_file_is_raised(spark, tmp_path, monkeypatch):
    store = LocalLakeStore(tmp_path)
    _land(store, "market_indicators", RUN, "m.csv", _market("2026-11-01,France,fx_usd,1.08,USD,ecb"))
    shutil.rmtree(tmp_path / "raw")  # listed, then gone before Spark reads it
    monkeypatch.setattr("etl.curate.pipeline.raw_keys", lambda *_: ["raw/market_indicators/date=2026-11-29/m.csv"])
    with pytest.raises(FileNotFoundError):
        curate_dataset(spark, store, "market_indicators", RUN, pseudonym_key=KEY)
