"""The landing Lambda: an EventBridge Object Created event of the transfer bucket (an SFTP upload) or of the lake's
clickstream staging prefix (a Firehose object) lands the object in the lake's raw zone.

moto's in-memory S3 stands in for the transfer and lake buckets (AWS itself cannot run here).
"""

from __future__ import annotations

import gzip
import json

import boto3
import pytest
from moto import mock_aws

from etl.functions.land_arrival import (
    ArrivalEventError,
    FunctionSettings,
    arrival_of,
    embedded_metrics,
    handler,
    object_key,
)
from etl.ingest.arrivals import ArrivalOutcome, ArrivalResult
from etl.ingest.manifest import read_manifest
from etl.lake import LocalLakeStore, S3LakeStore

ENVIRONMENT = {
    "TRANSFER_BUCKET": "northwind-unit-transfer",
    "LAKE_BUCKET": "northwind-data-lake-unit",
    "LAKE_KMS_KEY_ID": "alias/northwind-unit-lake",
    "STAGING_PREFIX": "raw/clickstream_events/_staging/",
    "METRICS_NAMESPACE": "Northwind/Ingestion",
}


def _event(key: str, bucket: str = ENVIRONMENT["TRANSFER_BUCKET"], time: str = "2026-11-30T01:12:09Z") -> dict:
    return {
        "detail-type": "Object Created",
        "source": "aws.s3",
        "time": time,
        "detail": {"bucket": {"name": bucket}, "object": {"key": key, "size": 10}},
    }


@pytest.fixture
def aws(monkeypatch):
    for name, value in {**ENVIRONMENT, "AWS_DEFAULT_REGION": "eu-west-2"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-2")
        for bucket in (ENVIRONMENT["TRANSFER_BUCKET"], ENVIRONMENT["LAKE_BUCKET"]):
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
            client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        yield client


def test_an_uploaded_export_is_landed_in_the_lake_and_reported_as_one_json_line_with_metrics(aws, capsys):
    aws.put_object(Bucket=ENVIRONMENT["TRANSFER_BUCKET"], Key="incoming/order-system/orders.csv", Body=b"orderID\n1\n")

    result = handler(_event("incoming/order-system/orders.csv"), context=None)

    assert result["outcome"] == "landed"
    lake_object = aws.get_object(Bucket=ENVIRONMENT["LAKE_BUCKET"], Key="raw/orders/date=2026-11-30/orders.csv")
    assert lake_object["Body"].read() == b"orderID\n1\n"
    assert lake_object["ServerSideEncryption"] == "aws:kms"
    listed = aws.list_objects_v2(Bucket=ENVIRONMENT["TRANSFER_BUCKET"], Prefix="incoming/")
    assert listed["KeyCount"] == 0
    line = json.loads(capsys.readouterr().out)
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Northwind/Ingestion"
    assert (line["Outcome"], line["Partner"], line["Arrivals"]) == ("landed", "order-system", 1)


def test_a_rejected_upload_is_kept_under_rejected_with_its_reason(aws, capsys):
    aws.put_object(Bucket=ENVIRONMENT["TRANSFER_BUCKET"], Key="incoming/order-system/notes.txt", Body=b"hello")

    result = handler(_event("incoming/order-system/notes.txt"), context=None)

    assert result["outcome"] == "rejected"
    kept = aws.get_object(Bucket=ENVIRONMENT["TRANSFER_BUCKET"], Key=result["rejected_key"] + ".reason.json")
    assert "order-system delivers" in json.loads(kept["Body"].read())["reason"]
    assert json.loads(capsys.readouterr().out)["Outcome"] == "rejected"


def test_a_staged_clickstream_object_lands_in_its_hour_partition_and_leaves_the_staging_prefix(aws, capsys):
    name = "northwind-unit-clickstream-1-2026-11-30-07-14-02-0f1e.jsonl.gz"
    staged = f"raw/clickstream_events/_staging/date=2026-11-30/hour=07/{name}"
    events = gzip.compress(b'{"event_id": "e-1"}\n{"event_id": "e-2"}\n')
    aws.put_object(Bucket=ENVIRONMENT["LAKE_BUCKET"], Key=staged, Body=events)

    result = handler(_event(staged, bucket=ENVIRONMENT["LAKE_BUCKET"], time="2026-11-30T07:29:40Z"), context=None)

    assert (result["outcome"], result["dataset"], result["rows"]) == ("landed", "clickstream_events", 2)
    landed = f"raw/clickstream_events/date=2026-11-30/hour=07/{name}"
    assert result["lake_key"] == landed
    assert aws.get_object(Bucket=ENVIRONMENT["LAKE_BUCKET"], Key=landed)["Body"].read() == events
    assert aws.list_objects_v2(Bucket=ENVIRONMENT["LAKE_BUCKET"], Prefix=ENVIRONMENT["STAGING_PREFIX"])["KeyCount"] == 0
    lake = S3LakeStore(ENVIRONMENT["LAKE_BUCKET"], ENVIRONMENT["LAKE_KMS_KEY_ID"], aws)
    [entry] = read_manifest(lake, "clickstream_events")
    assert (entry.key, entry.rows, entry.landed_on.isoformat()) == (landed, 2, "2026-11-30")
    assert json.loads(capsys.readouterr().out)["Outcome"] == "landed"


def test_an_event_of_another_bucket_or_without_an_object_is_refused_in_one_line():
    with pytest.raises(ArrivalEventError, match="this function lands objects of 'transfer' or 'lake'"):
        arrival_of(_event("incoming/order-system/orders.csv", bucket="other"), "transfer", "lake")
    with pytest.raises(ArrivalEventError, match="not an S3 Object Created event"):
        arrival_of({"detail": {}}, "transfer")


def test_the_arrival_day_is_the_events_utc_date():
    assert arrival_of(_event("k", bucket="t", time="2026-11-30T23:59:59Z"), "t")[2].isoformat() == "2026-11-30"


def test_missing_settings_are_named():
    with pytest.raises(ArrivalEventError, match="LAKE_KMS_KEY_ID, STAGING_PREFIX, METRICS_NAMESPACE"):
        FunctionSettings.from_environment({"TRANSFER_BUCKET": "t", "LAKE_BUCKET": "l"})


def test_a_url_encoded_key_is_decoded_when_the_decoded_object_exists(tmp_path):
    store = LocalLakeStore(tmp_path)
    store.put_bytes("incoming/market-data-vendor/fx rates.csv", b"x")
    assert object_key(store, "incoming/market-data-vendor/fx+rates.csv") == "incoming/market-data-vendor/fx rates.csv"
    store.put_bytes("incoming/market-data-vendor/a+b.csv", b"x")
    assert object_key(store, "incoming/market-data-vendor/a+b.csv") == "incoming/market-data-vendor/a+b.csv"


def test_metrics_count_an_arrival_without_a_partner_under_none():
    record = embedded_metrics(ArrivalResult("elsewhere", ArrivalOutcome.IGNORED), "Northwind/Ingestion")
    assert (record["Partner"], record["Outcome"]) == ("none", "ignored")
