"""curate_dataset end to end on a local lake: the balance against the manifest, quarantine, reruns change nothing."""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from etl.curate import RunStatus, curate_dataset
from etl.curate.pipeline import CACHE_COMPRESSION, _uncompressed_cache
from etl.curate.report import report_key
from etl.ingest.landing import land_file
from etl.ingest.orders import OrdersMode, ingest_orders_export
from etl.ingest.rows import FileCount, count_csv_rows, count_gzip_json_lines
from etl.lake import LocalLakeStore

RUN = date(2026, 11, 29)
KEY = b"test-pseudonym-key"


def _land(store, dataset, day, name, data: bytes, count: FileCount | None = None):
    if count is None:
        count = count_gzip_json_lines(data) if name.endswith(".gz") else count_csv_rows(data)
    return land_file(store, dataset, day, name, data, count)


def _curated(spark, store, dataset):
    return spark.read.parquet(store.uri(f"curated/{dataset}"))


def _quarantined(spark, store, dataset, run_date=RUN):
    rows = spark.read.parquet(store.uri(f"quarantine/{dataset}/run_date={run_date.isoformat()}")).collect()
    return sorted(
        ([f["rule"] for f in row["_failures"]], row["_raw_record"], row["_source_file"], row["_rows"]) for row in rows
    )


def _data_rows(path: Path) -> int:
    return len(path.read_bytes().splitlines()) - 1


@pytest.fixture(scope="module")
def northwind(spark, tmp_path_factory, northwind_sample_dir):
    """The real Northwind export landed once in batch mode and curated: customers, orders and order lines."""
    store = LocalLakeStore(tmp_path_factory.mktemp("lake"))
    ingest_orders_export(store, northwind_sample_dir, RUN, OrdersMode.BATCH)
    files = {"customers": "customers.csv", "orders": "orders.csv", "order_lines": "order-details.csv"}
    reports = {dataset: curate_dataset(spark, store, dataset, RUN, pseudonym_key=KEY) for dataset in files}
    return store, reports, {dataset: _data_rows(northwind_sample_dir / name) for dataset, name in files.items()}


@pytest.mark.parametrize("dataset", ["orders", "order_lines", "customers"])
def test_the_northwind_sample_curates_with_every_landed_row_accounted_for(spark, northwind, dataset):
    store, reports, landed = northwind
    report = reports[dataset]
    assert report.rows_landed == landed[dataset] == report.rows_inserted
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


def test_the_run_report_shows_both_sides_of_the_balance_per_dataset_and_per_file(northwind):
    store, _, _ = northwind
    document = json.loads(store.get_bytes(report_key("orders", RUN)))
    assert (document["rows_landed"], document["rows_curated"], document["rows_quarantined"]) == (830, 830, 0)
    assert document["balanced"] is True
    assert document["files"] == [
        {
            "file": "raw/orders/date=2026-11-29/orders.csv",
            "rows_landed": 830,
            "rows_read": 830,
            "rows_curated": 830,
            "rows_quarantined": 0,
            "note": "",
            "balanced": True,
        }
    ]
    assert document["status"] == "ok"
    assert document["drift"] == {"added": [], "removed": [], "retyped": [], "breaking": False}
    assert {"rule": "duplicate_key", "field": "order_id", "failed_rows": 0} in document["rules"]
    assert {"rule": "foreign_key", "field": "customer_id", "failed_rows": 0} in document["rules"]
    assert "UTC" in document["timestamp_policy"]
    assert document["partition_by"] == ["order_month"]


def test_rerunning_the_same_window_changes_nothing_and_reports_every_row_unchanged(spark, northwind):
    store, _, _ = northwind
    before = _curated_rows(spark, store, "customers")
    again = curate_dataset(spark, store, "customers", RUN, pseudonym_key=KEY)
    assert (again.rows_curated, again.rows_unchanged, again.rows_updated, again.balanced) == (91, 91, 0, True)
    assert _curated_rows(spark, store, "customers") == before


ORDER_HEADER = (
    "orderID,customerID,employeeID,orderDate,requiredDate,shippedDate,shipVia,freight,shipName,shipAddress,"
    "shipCity,shipRegion,shipPostalCode,shipCountry\n"
)


def _order(order_id, customer="VINET", day="1996-07-04", freight="32.38", ship_via="3"):
    return (
        f"{order_id},{customer},5,{day} 00:00:00.000,1996-08-01 00:00:00.000,NULL,{ship_via},{freight},"
        "Vins et alcools Chevalier,59 rue de l'Abbaye,Reims,NULL,51100,France\n"
    )


def _customers(store, spark, *keys):
    header = "customerID,companyName,contactName,contactTitle,address,city,region,postalCode,country,phone,fax\n"
    rows = "".join(f"{key},Co,Name,Owner,Street 1,Reims,NULL,51100,France,1,NULL\n" for key in keys)
    _land(store, "customers", RUN, "customers.csv", (header + rows).encode())
    curate_dataset(spark, store, "customers", RUN, pseudonym_key=KEY)


@pytest.fixture(scope="module")
def malformed_orders(spark, tmp_path_factory):
    """Orders over two days: a correction, a bad date, a wrong column count, several failures, an exact and a
    conflicting duplicate in one delivery, and an unknown customer."""
    store = LocalLakeStore(tmp_path_factory.mktemp("lake"))
    _customers(store, spark, "VINET")
    _land(store, "orders", date(2026, 11, 28), "orders.csv", (ORDER_HEADER + _order(1) + _order(2)).encode())
    body = (
        ORDER_HEADER
        + _order(1, freight="40.00")
        + _order(3, day="1996-13-45")
        + "4,VINET,5\n"
        + _order(6, customer="vinet", freight="-1", ship_via="9")
        + _order(7) * 2
        + _order(8, freight="1.00")
        + _order(8, freight="2.00")
        + _order(9, customer="ZZZZZ")
    )
    _land(store, "orders", RUN, "orders.csv", body.encode())
    report = curate_dataset(spark, store, "orders", RUN, lookback_days=1, pseudonym_key=KEY)
    return store, report


def test_malformed_orders_end_in_quarantine_with_their_rule_and_the_counts_balance(spark, malformed_orders):
    store, report = malformed_orders
    assert (report.rows_landed, report.rows_curated, report.rows_quarantined) == (11, 5, 6)
    assert report.balanced and report.status is RunStatus.QUARANTINED_ROWS
    rules = [entry[0] for entry in _quarantined(spark, store, "orders")]
    assert sorted(rules) == sorted(
        [
            ["type"],
            ["column_count"],
            ["pattern", "enum", "range", "foreign_key"],
            ["duplicate_row"],
            ["duplicate_key"],
            ["foreign_key"],
        ]
    )
    assert (report.failed("duplicate_key"), report.failed("duplicate_row"), report.failed("foreign_key")) == (1, 1, 2)
    assert report.failed("type", "order_date") == 1 and report.failed("column_count") == 1


def test_the_latest_delivery_of_a_key_is_curated_and_the_older_one_is_superseded_not_quarantined(
    spark, malformed_orders
):
    store, report = malformed_orders
    kept = _curated(spark, store, "orders").where("order_id in (1, 8)").orderBy("order_id").collect()
    assert [str(row["freight"]) for row in kept] == ["40.00", "2.00"]
    assert (report.rows_superseded, report.rows_inserted) == (1, 4)


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
        ]
    )
    truncated = _events_gz([_event(f"10000000-0000-4000-8000-{i:012d}") for i in range(3000)])
    truncated = truncated[: len(truncated) // 2]
    latin1 = _events_gz([_event(ids[3]).replace(b"Mozilla", b"Moz\xe9")])
    _land(store, "clickstream_events", RUN, "events-2026112910.jsonl.gz", good)
    damaged = _land(store, "clickstream_events", RUN, "events-2026112911.jsonl.gz", truncated)
    _land(store, "clickstream_events", RUN, "events-2026112912.jsonl.gz", latin1)
    return store, curate_dataset(spark, store, "clickstream_events", RUN, pseudonym_key=KEY), damaged.rows


def test_a_truncated_gzip_file_is_quarantined_with_every_row_landing_counted_in_it(spark, clickstream):
    store, report, truncated_rows = clickstream
    assert truncated_rows > 100
    assert (report.rows_landed, report.rows_curated, report.rows_quarantined) == (
        5 + truncated_rows,
        2,
        3 + truncated_rows,
    )
    assert report.balanced and report.rows_read == 6
    unreadable = [e for e in _quarantined(spark, store, "clickstream_events") if e[0] == ["unreadable_file"]]
    assert unreadable[0][2:] == ("raw/clickstream_events/date=2026-11-29/events-2026112911.jsonl.gz", truncated_rows)
    assert "gzip stream is truncated" in unreadable[0][1]


def test_bad_json_lines_and_encodings_are_quarantined_and_events_partition_by_utc_date(spark, clickstream):
    store, _, _ = clickstream
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
    _land(store, "products", RUN, "page-0001.json", json.dumps(page).encode(), FileCount(2))
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
    assert (report.rows_curated, report.rows_updated) == (1, 1)
    assert {(r[5], r[2]) for r in after_late if r[0] == "France"} == {
        ("2026-11-01", "1.100000"),
        ("2026-11-02", "1.090000"),
    }
    assert len(after_late) == 3
    assert sorted(p.name for p in (tmp_path / "curated/market_indicators/indicator_date=2026-11-02").iterdir()) == (
        untouched
    )

    again = curate_dataset(spark, store, "market_indicators", second, lookback_days=0, pseudonym_key=KEY)
    assert _curated_rows(spark, store, "market_indicators") == after_late
    assert (again.rows_updated, again.rows_unchanged) == (0, 1)


def test_a_correction_that_moves_a_row_to_another_partition_leaves_no_copy_in_the_old_one(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    _customers(store, spark, "VINET")
    _land(store, "orders", date(2026, 11, 28), "orders.csv", (ORDER_HEADER + _order(1) + _order(2)).encode())
    curate_dataset(spark, store, "orders", date(2026, 11, 28), lookback_days=0, pseudonym_key=KEY)
    _land(store, "orders", RUN, "orders.csv", (ORDER_HEADER + _order(1, day="1996-08-02")).encode())

    report = curate_dataset(spark, store, "orders", RUN, lookback_days=0, pseudonym_key=KEY)

    rows = _curated(spark, store, "orders").select("order_id", "order_month").orderBy("order_id").collect()
    assert [(r["order_id"], str(r["order_month"])) for r in rows] == [(1, "1996-08-01"), (2, "1996-07-01")]
    assert report.rows_updated == 1


def test_breaking_drift_in_one_file_quarantines_that_file_whole_and_curates_the_others(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    renamed = MARKET_HEADER.replace("value", "amount")
    _land(store, "market_indicators", RUN, "m.csv", (renamed + "2026-11-01,France,fx_usd,1.08,USD,ecb\n").encode())
    _land(store, "market_indicators", RUN, "n.csv", _market("2026-11-01,Spain,fx_usd,1.08,USD,ecb"))
    report = curate_dataset(spark, store, "market_indicators", RUN, pseudonym_key=KEY)
    assert report.status is RunStatus.SCHEMA_DRIFT
    assert (report.drift.removed, report.drift.added, report.drift.breaking) == (("value",), ("amount",), True)
    assert "m.csv: schema drift" in report.message and "removed value (required)" in report.message
    assert "contract version" in report.message
    assert (report.rows_landed, report.rows_curated, report.rows_quarantined, report.balanced) == (2, 1, 1, True)
    assert [e[0] for e in _quarantined(spark, store, "market_indicators")] == [["schema_drift"]]
    assert store.exists(report_key("market_indicators", RUN))


def test_a_column_whose_values_all_fail_to_convert_in_a_file_is_retyped_drift(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    _land(store, "market_indicators", RUN, "m.csv", _market("2026-11-01,France,fx_usd,high,USD,ecb"))
    report = curate_dataset(spark, store, "market_indicators", RUN, pseudonym_key=KEY)
    assert report.status is RunStatus.SCHEMA_DRIFT
    assert report.drift.retyped == ("value",)


def test_the_balance_fails_when_a_file_no_longer_holds_the_rows_landing_counted(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    landed = _land(store, "market_indicators", RUN, "m.csv", _market("2026-11-01,France,fx_usd,1.08,USD,ecb"))
    store.put_bytes(landed.key, _market("2026-11-01,France,fx_usd,1.08,USD,ecb", "2026-11-01,Spain,fx_usd,1,USD,ecb"))
    report = curate_dataset(spark, store, "market_indicators", RUN, pseudonym_key=KEY)
    assert (report.rows_landed, report.rows_curated, report.balanced) == (1, 2, False)
    assert "landing counted 1 row(s) but curation accounted for 2" in report.files[0].note


def test_an_object_in_the_window_that_landing_never_recorded_makes_the_run_unbalanced(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    store.put_bytes("raw/market_indicators/date=2026-11-29/dropped.csv", _market("2026-11-01,UK,fx_usd,1,USD,ecb"))
    _land(store, "market_indicators", RUN, "m.csv", _market("2026-11-01,France,fx_usd,1.08,USD,ecb"))
    report = curate_dataset(spark, store, "market_indicators", RUN, pseudonym_key=KEY)
    assert report.unregistered_files == ("raw/market_indicators/date=2026-11-29/dropped.csv",)
    assert not report.balanced and "not in the landing manifest" in report.message


def test_a_file_the_manifest_records_but_the_lake_lost_is_quarantined_with_its_landed_rows(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    landed = _land(store, "market_indicators", RUN, "m.csv", _market("2026-11-01,France,fx_usd,1.08,USD,ecb"))
    Path(store.uri(landed.key)).unlink()
    report = curate_dataset(spark, store, "market_indicators", RUN, pseudonym_key=KEY)
    assert (report.rows_landed, report.rows_quarantined, report.balanced) == (1, 1, True)
    assert report.failed("unreadable_file") == 1


def test_a_window_without_raw_files_reports_zero_rows(spark, tmp_path):
    report = curate_dataset(spark, LocalLakeStore(tmp_path), "orders", RUN, pseudonym_key=KEY)
    assert (report.rows_landed, report.status, report.balanced, report.source_files) == (0, RunStatus.OK, True, 0)


def test_a_negative_lookback_is_refused(spark, tmp_path):
    with pytest.raises(ValueError, match="lookback_days"):
        curate_dataset(spark, LocalLakeStore(tmp_path), "orders", RUN, lookback_days=-1, pseudonym_key=KEY)


def test_a_failure_that_is_not_an_unreadable_file_is_raised(spark, tmp_path, monkeypatch):
    store = LocalLakeStore(tmp_path)
    _land(store, "market_indicators", RUN, "m.csv", _market("2026-11-01,France,fx_usd,1.08,USD,ecb"))

    def broken(*_):
        raise RuntimeError("the summary failed")

    monkeypatch.setattr("etl.curate.pipeline._summarize", broken)
    with pytest.raises(RuntimeError, match="the summary failed"):
        curate_dataset(spark, store, "market_indicators", RUN, pseudonym_key=KEY)


def _last_curated_write_plan(spark, dataset: str) -> str:
    """The physical plan of the latest write into the dataset's curated zone (from the SQL status store)."""
    executions = spark._jsparkSession.sharedState().statusStore().executionsList()
    plans = [executions.apply(i).physicalPlanDescription() for i in range(executions.size())]
    return [plan for plan in plans if "InsertIntoHadoopFsRelationCommand" in plan and f"curated/{dataset}" in plan][-1]


FRANCE_1, SPAIN_1 = "2026-11-01,France,fx_usd,1.08,USD,ecb", "2026-11-01,Spain,fx_usd,1.08,USD,ecb"
FRANCE_2, SPAIN_2 = "2026-11-02,France,fx_usd,1.09,USD,ecb", "2026-11-02,Spain,fx_usd,1.09,USD,ecb"


@pytest.mark.parametrize(
    ("files", "shuffled"),
    [
        (((FRANCE_1, SPAIN_1),), False),
        (((FRANCE_1, FRANCE_2),), False),
        (((FRANCE_1, SPAIN_1), (FRANCE_2, SPAIN_2)), False),
        (((FRANCE_1, FRANCE_2), (SPAIN_1, SPAIN_2)), True),
    ],
    ids=[
        "one partition",
        "two partitions in one read task",
        "each partition in its own read task",
        "read tasks sharing partitions",
    ],
)
def test_a_first_write_shuffles_its_rows_only_when_read_tasks_share_partitions(spark, tmp_path, files, shuffled):
    store = LocalLakeStore(tmp_path)
    for index, lines in enumerate(files):
        _land(store, "market_indicators", RUN, f"m{index}.csv", _market(*lines))
    # Every file its own read task: opening one is priced above the largest split, so no two share a task.
    spark.conf.set("spark.sql.files.openCostInBytes", str(1 << 30))
    try:
        report = curate_dataset(spark, store, "market_indicators", RUN, lookback_days=0, pseudonym_key=KEY)
    finally:
        spark.conf.unset("spark.sql.files.openCostInBytes")
    plan = _last_curated_write_plan(spark, "market_indicators")
    assert bool(re.search(r"Arguments: hashpartitioning\(indicator_date#\d+", plan)) is shuffled
    lines = [line for group in files for line in group]
    assert report.rows_inserted == len(lines)
    folders = sorted(p.name for p in (tmp_path / "curated/market_indicators").iterdir() if p.is_dir())
    assert folders == sorted({f"indicator_date={line[:10]}" for line in lines})
    assert all(len(list((tmp_path / "curated/market_indicators" / f).glob("*.parquet"))) == 1 for f in folders)
    curated = spark.read.parquet(str(tmp_path / "curated/market_indicators"))
    assert curated.count() == len(lines)


def test_runs_in_threads_build_their_caches_uncompressed_and_the_last_one_out_restores_the_setting(spark):
    spark.conf.set(CACHE_COMPRESSION, "true")
    both_inside, seen = threading.Barrier(2), []

    def run(leave_after: float) -> None:
        with _uncompressed_cache(spark):
            both_inside.wait()
            seen.append(spark.conf.get(CACHE_COMPRESSION))
            time.sleep(leave_after)

    threads = [threading.Thread(target=run, args=(delay,)) for delay in (0.0, 0.3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["false", "false"]
    assert spark.conf.get(CACHE_COMPRESSION) == "true"
    spark.conf.unset(CACHE_COMPRESSION)
