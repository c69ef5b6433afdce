"""Idempotent landing: the content-hash manifest and versions of corrected files."""

from __future__ import annotations

from datetime import date

import boto3
from moto import mock_aws

from etl.ingest.landing import LandingAction, LandingReport, archive_key, land_file
from etl.ingest.manifest import FileProblem, Versioning, read_manifest
from etl.ingest.rows import FileCount
from etl.lake import LocalLakeStore, S3LakeStore

DAY = date(2026, 11, 29)


def test_landing_the_same_bytes_twice_is_a_no_op(tmp_path):
    store = LocalLakeStore(tmp_path)
    first = land_file(store, "orders", DAY, "orders.csv", b"orderID\n1\n", FileCount(1))
    second = land_file(store, "orders", DAY, "orders.csv", b"orderID\n1\n", FileCount(1))

    assert (first.action, second.action) == (LandingAction.LANDED, LandingAction.SKIPPED)
    assert first.key == "raw/orders/date=2026-11-29/orders.csv"
    assert store.get_bytes(first.key) == b"orderID\n1\n"
    assert len(read_manifest(store, "orders")) == 1


def test_the_same_bytes_delivered_on_a_later_day_are_not_landed_again(tmp_path):
    store = LocalLakeStore(tmp_path)
    land_file(store, "customers", DAY, "customers.csv", b"customerID\nALFKI\n", FileCount(1))
    again = land_file(store, "customers", date(2026, 11, 30), "customers.csv", b"customerID\nALFKI\n", FileCount(1))

    assert again.action is LandingAction.SKIPPED
    assert not store.exists("raw/customers/date=2026-11-30/customers.csv")


def test_a_corrected_file_under_the_same_name_becomes_version_two_and_keeps_version_one(tmp_path):
    store = LocalLakeStore(tmp_path)
    land_file(store, "orders", DAY, "orders.csv", b"orderID\n1\n", FileCount(1))
    corrected = land_file(store, "orders", DAY, "orders.csv", b"orderID\n1\n2\n", FileCount(2))

    entries = read_manifest(store, "orders")
    assert corrected.action is LandingAction.NEW_VERSION
    assert store.get_bytes(corrected.key) == b"orderID\n1\n2\n"
    assert [(e.version, e.versioning) for e in entries] == [(1, Versioning.FIRST), (2, Versioning.ARCHIVED_COPY)]
    assert entries[1].superseded_key == archive_key(corrected.key, 1)
    assert store.get_bytes(archive_key(corrected.key, 1)) == b"orderID\n1\n"
    # The archive lives outside the dataset's partitions, so readers of raw/orders/ see one current file.
    assert list(store.list_keys("raw/orders/")) == [corrected.key]


def test_a_corrected_file_in_the_s3_lake_relies_on_bucket_object_versions():
    """Uses moto's in-memory S3 as the double for the versioned lake bucket."""
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-2")
        client.create_bucket(Bucket="lake", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        client.put_bucket_versioning(Bucket="lake", VersioningConfiguration={"Status": "Enabled"})
        store = S3LakeStore("lake", "alias/lake", client)
        land_file(store, "orders", DAY, "orders.csv", b"orderID\n1\n", FileCount(1))
        corrected = land_file(store, "orders", DAY, "orders.csv", b"orderID\n2\n", FileCount(1))

        versions = client.list_object_versions(Bucket="lake", Prefix=corrected.key)["Versions"]
        entries = read_manifest(store, "orders")
        assert corrected.action is LandingAction.NEW_VERSION
        assert len(versions) == 2
        assert entries[1].versioning is Versioning.S3_OBJECT_VERSION
        assert entries[1].superseded_key is None


def test_landing_report_counts_files_by_outcome_and_rows_of_new_files_only(tmp_path):
    store = LocalLakeStore(tmp_path)
    report = LandingReport("orders")
    report.files += [
        land_file(store, "orders", DAY, "a.csv", b"h\n1\n2\n", FileCount(2)),
        land_file(store, "orders", DAY, "b.csv", b"h\n1\n2\n", FileCount(2)),
        land_file(store, "orders", DAY, "a.csv", b"h\n1\n2\n3\n", FileCount(3)),
    ]

    assert (report.files_landed, report.files_skipped, report.new_versions) == (1, 1, 1)
    assert report.rows_landed == 2 + 3


def test_the_manifest_records_the_landing_day_the_csv_header_and_damage_found_in_the_file(tmp_path):
    store = LocalLakeStore(tmp_path)
    problem = FileProblem(rule="encoding", detail="not utf-8")
    land_file(store, "orders", DAY, "orders.csv", b"orderID\n1\n", FileCount(1, ("orderID",), problem))

    [entry] = read_manifest(store, "orders")
    assert (entry.landed_on, entry.header, entry.problem) == (DAY, ["orderID"], problem)


def test_a_file_with_its_own_partition_lands_there_and_a_later_delivery_of_it_is_a_new_version(tmp_path):
    store = LocalLakeStore(tmp_path)
    hour = "date=2026-10-24/hour=10/"
    first = land_file(store, "clickstream_events", DAY, "e.gz", b"a", FileCount(1), partition=hour)
    again = land_file(store, "clickstream_events", date(2026, 12, 1), "e.gz", b"b", FileCount(1), partition=hour)

    assert first.key == again.key == "raw/clickstream_events/date=2026-10-24/hour=10/e.gz"
    assert again.action is LandingAction.NEW_VERSION
    assert [e.landed_on for e in read_manifest(store, "clickstream_events")] == [DAY, date(2026, 12, 1)]
