"""Pushed deliveries end to end on this machine: SFTP uploads of the order system and the market-data vendor, and a
clickstream object as the delivery stream stages it, each reported by an ``Object Created`` event and landed by
the landing function's own ``main`` (local folders stand in for the transfer and lake buckets), then curated.
The manifest balances with what curation wrote and quarantined, a redelivery is a no-op and a wrong file is
rejected with its reason."""

from __future__ import annotations

import gzip
import json
import secrets
from datetime import date

import pytest

from etl.contracts import reference_order
from etl.curate import curate_dataset
from etl.curate.pseudonymize import resolve_pseudonym_key
from etl.functions.land_arrival import FunctionSettings, main
from etl.ingest.arrivals import ArrivalOutcome
from etl.ingest.catalog import CatalogApiClient, CatalogApiSettings, ingest_catalog
from etl.ingest.clickstream import STAGING_PREFIX
from etl.ingest.manifest import read_manifest
from etl.lake import LocalLakeStore
from etl.localdev.catalog_api import LocalCatalogApi
from etl.pipeline import PipelineConfig, prepare_sources

DAY = date(2026, 10, 24)
SETTINGS = FunctionSettings("transfer", "lake", "alias/local-lake", STAGING_PREFIX, "Northwind/Ingestion")
# A name as the delivery stream gives it: stream, version, arrival time, a unique suffix.
STAGED_NAME = "northwind-local-clickstream-1-2026-10-24-10-14-58-5c1d2e7a.jsonl.gz"


def _event(bucket: str, key: str, time: str) -> dict:
    return {
        "detail-type": "Object Created",
        "time": time,
        "detail": {"bucket": {"name": bucket}, "object": {"key": key}},
    }


@pytest.mark.slow
def test_sftp_uploads_and_a_staged_clickstream_object_land_through_the_function_and_curate_in_balance(
    spark, northwind_sample_dir, tmp_path, capsys
):
    config = PipelineConfig(
        tmp_path / "lake", northwind_sample_dir, tmp_path, DAY, clickstream_events=600, clickstream_days=1
    )
    clickstream_dir, drop_dir = prepare_sources(config)
    transfer, lake = LocalLakeStore(tmp_path / "transfer"), LocalLakeStore(config.lake)
    token = secrets.token_urlsafe(24)
    with LocalCatalogApi(northwind_sample_dir, token) as api:  # products, which clickstream events refer to
        ingest_catalog(lake, CatalogApiClient(CatalogApiSettings(api.base_url, token)), DAY)

    uploads = {
        f"incoming/order-system/{name}": (northwind_sample_dir / name).read_bytes()
        for name in ("customers.csv", "orders.csv", "order-details.csv")
    }
    market = sorted(drop_dir.glob("*.csv"))[0]
    uploads[f"incoming/market-data-vendor/{market.name}"] = market.read_bytes()
    uploads["incoming/order-system/orders.xlsx"] = b"PK\x03\x04 not an export"
    hourly = sorted(clickstream_dir.glob("events-2026102410.jsonl.gz"))[0]
    staged = f"{STAGING_PREFIX}date=2026-10-24/hour=10/{STAGED_NAME}"

    results = []
    for key, data in uploads.items():
        transfer.put_bytes(key, data)
        results.append(main(_event("transfer", key, "2026-10-24T01:12:09Z"), SETTINGS, transfer, lake))
    lake.put_bytes(staged, hourly.read_bytes())
    results.append(main(_event("lake", staged, "2026-10-24T10:15:03Z"), SETTINGS, transfer, lake))
    # The same export uploaded again, and the stream's event delivered twice: no-ops.
    transfer.put_bytes("incoming/order-system/orders.csv", uploads["incoming/order-system/orders.csv"])
    again = main(
        _event("transfer", "incoming/order-system/orders.csv", "2026-10-24T02:00:00Z"), SETTINGS, transfer, lake
    )
    twice = main(_event("lake", staged, "2026-10-24T10:15:03Z"), SETTINGS, transfer, lake)

    outcomes = {result.key.rsplit("/", 1)[1]: result.outcome for result in results}
    assert outcomes == {
        "customers.csv": ArrivalOutcome.LANDED,
        "orders.csv": ArrivalOutcome.LANDED,
        "order-details.csv": ArrivalOutcome.LANDED,
        market.name: ArrivalOutcome.LANDED,
        "orders.xlsx": ArrivalOutcome.REJECTED,
        STAGED_NAME: ArrivalOutcome.LANDED,
    }
    assert (again.outcome, twice.outcome) == (ArrivalOutcome.SKIPPED, ArrivalOutcome.GONE)
    rejected = next(r for r in results if r.outcome is ArrivalOutcome.REJECTED)
    reason = json.loads(transfer.get_bytes(f"{rejected.rejected_key}.reason.json"))["reason"]
    assert reason.startswith("order-system delivers customers.csv, order-details.csv, orders.csv;")
    assert transfer.get_bytes(rejected.rejected_key) == uploads["incoming/order-system/orders.xlsx"]
    assert list(transfer.list_keys("incoming/")) == [] and list(lake.list_keys(STAGING_PREFIX)) == []
    clickstream_key = f"raw/clickstream_events/date=2026-10-24/hour=10/{STAGED_NAME}"
    assert lake.get_bytes(clickstream_key) == hourly.read_bytes()

    key = resolve_pseudonym_key()
    manifests, counts = {}, {}
    for dataset in reference_order(
        ["products", "customers", "orders", "order_lines", "clickstream_events", "market_indicators"]
    ):
        report = curate_dataset(spark, lake, dataset, DAY, 0, pseudonym_key=key)
        entries = read_manifest(lake, dataset)
        manifests[dataset] = [(e.key, e.rows, e.sha256[:12], e.landed_on.isoformat()) for e in entries]
        counts[dataset] = (report.rows_landed, report.rows_curated, report.rows_quarantined, report.balanced)
        assert report.balanced, dataset
        assert report.rows_landed == sum(e.rows for e in entries), dataset
        assert report.rows_curated > 0, dataset
    assert [entry[0] for entry in manifests["clickstream_events"]] == [clickstream_key]
    assert manifests["clickstream_events"][0][1] == sum(1 for line in _lines(hourly.read_bytes()) if line.strip())

    with capsys.disabled():
        print("\nlanding results (as the function logs them):")
        for result in [*results, again, twice]:
            print("  " + json.dumps(result.as_log(), sort_keys=True))
        print("manifest entries (key, rows, sha256 prefix, landed_on):")
        for dataset, entries in manifests.items():
            for entry in entries:
                print(f"  {dataset:<20} {entry[0]:<112} {entry[1]:>6} {entry[2]} {entry[3]}")
        print(f"{'dataset':<20} {'landed':>7} {'curated':>8} {'quarantined':>12} balanced")
        for dataset, (landed, curated, quarantined, balanced) in counts.items():
            print(f"{dataset:<20} {landed:>7} {curated:>8} {quarantined:>12} {balanced}")


def _lines(data: bytes) -> list[bytes]:
    return gzip.decompress(data).splitlines()
