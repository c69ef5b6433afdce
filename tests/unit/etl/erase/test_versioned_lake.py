"""Erasure in the versioned lake bucket and its replica: every version that held the customer is gone, the
current objects hold every other row, the manifest still balances, and versions without them are kept.

moto's in-memory S3 stands in for the versioned lake bucket and its replica (AWS itself cannot run here).
"""

from __future__ import annotations

import gzip
import io
import json
from datetime import date

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from etl.curate.pseudonymize import pseudonym
from etl.erase.erasure import Subject, erase_from_lake, plan_erasure
from etl.erase.objects import S3Objects
from etl.ingest.landing import land_file
from etl.ingest.manifest import Versioning, read_manifest
from etl.ingest.rows import FileCount
from etl.lake import S3LakeStore

KEY = b"northwind-test-pseudonym-key"
SUBJECT = Subject("ALFKI", pseudonym("ALFKI", KEY))
OTHER = pseudonym("ANATR", KEY)
DAY = date(2026, 11, 29)
CUSTOMERS_V0 = b"customerID,companyName\nANATR,Ana Trujillo\n"
CUSTOMERS = b"customerID,companyName\nALFKI,Alfreds Futterkiste\nANATR,Ana Trujillo\n"
ORDERS_V1 = b"orderID,customerID,shipCountry\n10643,ALFKI,Germany\n10308,ANATR,Mexico\n"
ORDERS_V2 = ORDERS_V1 + b"10692,ALFKI,Germany\n"
LINES = (
    b"orderID,productID,unitPrice,quantity,discount\n10643,28,45.60,15,0.25\n10308,69,28.80,1,0\n10692,63,43.90,20,0\n"
)
EVENTS = [
    {"event_id": "e1", "session_id": "s1", "customer_id": None, "event_type": "page_view"},
    {"event_id": "e2", "session_id": "s1", "customer_id": "ALFKI", "event_type": "purchase", "order_id": 10643},
    {"event_id": "e3", "session_id": "s2", "customer_id": "ANATR", "event_type": "page_view"},
]


def _parquet(columns: dict) -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table(columns), out)
    return out.getvalue()


def _bucket(client, name: str) -> None:
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def _fill(store: S3LakeStore) -> None:
    store.put_bytes("raw/customers/date=2026-11-28/customers.csv", CUSTOMERS_V0)
    land_file(store, "customers", DAY, "customers.csv", CUSTOMERS, FileCount(2))
    land_file(store, "orders", DAY, "orders.csv", ORDERS_V1, FileCount(2))
    land_file(store, "orders", DAY, "orders.csv", ORDERS_V2, FileCount(3))
    land_file(store, "order_lines", DAY, "order-details.csv", LINES, FileCount(3))
    events = gzip.compress("".join(json.dumps(e) + "\n" for e in EVENTS).encode())
    land_file(
        store,
        "clickstream_events",
        DAY,
        "events-2026112907.jsonl.gz",
        events,
        FileCount(3),
        partition="date=2026-11-29/hour=07/",
    )
    store.put_bytes(
        "curated/orders/order_month=2026-11-01/part-0.parquet",
        _parquet({"order_id": [10643, 10308, 10692], "customer_id": [SUBJECT.pseudonym, OTHER, SUBJECT.pseudonym]}),
    )
    store.put_bytes(
        "curated/order_lines/part-0.parquet",
        _parquet({"order_id": [10643, 10308, 10692], "product_id": [28, 69, 63]}),
    )
    store.put_bytes(
        "curated/customers/part-0.parquet",
        _parquet({"customer_id": [SUBJECT.pseudonym, OTHER], "city": ["Berlin", "México"]}),
    )
    store.put_bytes(
        "curated/clickstream_events/event_date=2026-11-29/part-0.parquet",
        _parquet(
            {
                "event_id": ["e1", "e2", "e3"],
                "session_id": ["s1", "s1", "s2"],
                "customer_id": [None, SUBJECT.pseudonym, OTHER],
            }
        ),
    )
    store.put_bytes(
        "quarantine/orders/run_date=2026-11-29/part-0.parquet",
        _parquet(
            {
                "_source_file": ["raw/orders/date=2026-11-29/orders.csv"] * 2,
                "_raw_record": ["10999,ALFKI,Nowhere,x", "11000,ANATR,Mexico,x"],
            }
        ),
    )


def _every_version(client, bucket: str) -> dict[tuple[str, str], bytes]:
    found = {}
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in page.get("Versions", []):
            body = client.get_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])["Body"].read()
            found[(item["Key"], item["VersionId"])] = gzip.decompress(body) if item["Key"].endswith(".gz") else body
    return found


def _parquet_text(data: bytes) -> str:
    return json.dumps(pq.read_table(io.BytesIO(data)).to_pylist())


def _mentions_subject(key: str, data: bytes) -> bool:
    text = _parquet_text(data) if key.endswith(".parquet") else data.decode("utf-8", "replace")
    return any(token in text for token in ("ALFKI", SUBJECT.pseudonym, "10643", "10692", '"s1"'))


@pytest.fixture
def lake():
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-2")
        for bucket in ("lake", "lake-replica"):
            _bucket(client, bucket)
            _fill(S3LakeStore(bucket, "alias/lake", client))
        yield client


def test_no_version_in_the_lake_or_its_replica_holds_the_customer_afterwards(lake):
    primary = S3Objects("lake", "alias/lake", lake)
    plan = plan_erasure(primary, SUBJECT)
    erase_from_lake(primary, plan, S3LakeStore("lake", "alias/lake", lake))
    erase_from_lake(S3Objects("lake-replica", "alias/lake", lake, writes=False), plan)

    for bucket in ("lake", "lake-replica"):
        leftovers = [key for (key, _), data in _every_version(lake, bucket).items() if _mentions_subject(key, data)]
        assert leftovers == [], bucket


def test_every_other_row_remains_current_and_versions_without_the_customer_are_kept(lake):
    primary = S3Objects("lake", "alias/lake", lake)
    store = S3LakeStore("lake", "alias/lake", lake)
    plan = plan_erasure(primary, SUBJECT)

    outcome = erase_from_lake(primary, plan, store)

    assert store.get_bytes("raw/customers/date=2026-11-29/customers.csv") == CUSTOMERS_V0
    assert (
        store.get_bytes("raw/orders/date=2026-11-29/orders.csv")
        == b"orderID,customerID,shipCountry\n10308,ANATR,Mexico\n"
    )
    assert store.get_bytes("raw/order_lines/date=2026-11-29/order-details.csv").splitlines()[1:] == [
        b"10308,69,28.80,1,0"
    ]
    events = gzip.decompress(
        store.get_bytes("raw/clickstream_events/date=2026-11-29/hour=07/events-2026112907.jsonl.gz")
    )
    assert [json.loads(line)["event_id"] for line in events.splitlines()] == ["e3"]
    curated = pq.read_table(io.BytesIO(store.get_bytes("curated/orders/order_month=2026-11-01/part-0.parquet")))
    assert curated.to_pylist() == [{"order_id": 10308, "customer_id": OTHER}]
    quarantined = pq.read_table(io.BytesIO(store.get_bytes("quarantine/orders/run_date=2026-11-29/part-0.parquet")))
    assert quarantined["_raw_record"].to_pylist() == ["11000,ANATR,Mexico,x"]
    # The earlier delivery of the customers file never held the customer: it is kept as it was.
    versions = _every_version(lake, "lake")
    assert CUSTOMERS_V0 in versions.values()
    assert plan.linked == {"clickstream_events.session_id": 1, "order_lines.order_id": 2}
    assert outcome.count("raw", "orders").records_removed == 3  # one in version 1, two in version 2
    assert outcome.count("raw", "orders").versions_deleted == 2


def test_the_manifest_records_each_rewrite_so_the_landed_rows_still_balance(lake):
    store = S3LakeStore("lake", "alias/lake", lake)
    primary = S3Objects("lake", "alias/lake", lake)
    erase_from_lake(primary, plan_erasure(primary, SUBJECT), store)

    latest = read_manifest(store, "orders")[-1]
    assert (latest.versioning, latest.rows) == (Versioning.ERASURE, 1)
    # The delivery as it was sent stays known, so the same file delivered again is not landed again.
    assert land_file(store, "orders", DAY, "orders.csv", ORDERS_V2, FileCount(3)).action.value == "skipped"


def test_a_replica_is_never_written_only_its_versions_holding_the_customer_deleted(lake):
    replica = S3Objects("lake-replica", "alias/lake", lake, writes=False)
    before = _every_version(lake, "lake-replica")
    outcome = erase_from_lake(replica, plan_erasure(S3Objects("lake", "alias/lake", lake), SUBJECT))
    after = _every_version(lake, "lake-replica")
    assert set(after) < set(before)
    assert all(after[version] == before[version] for version in after)
    assert sum(count.objects_rewritten for count in outcome.counts.values()) == 0
