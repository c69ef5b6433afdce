"""Publishing the service wheelhouse under its content-hashed key (make publish-wheelhouse), against moto's
in-process AWS double."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from scripts.publish_wheelhouse import PublishError, publish

BUCKET = "northwind-dev-lake-artifacts-111111111111"
PREFIX = "services/northwind-analytics/0.1.0/0123456789abcdef/"


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-2")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        key = boto3.client("kms", region_name="eu-west-2").create_key()["KeyMetadata"]["Arn"]
        yield client, key


@pytest.fixture
def wheelhouse(tmp_path):
    for name in ("northwind_analytics-0.1.0-py3-none-any.whl", "uvicorn-0.40.0-py3-none-any.whl"):
        (tmp_path / name).write_bytes(b"wheel " + name.encode())
    return tmp_path


def test_every_wheel_lands_kms_encrypted_under_the_hashed_prefix_with_the_manifest_last(s3, wheelhouse):
    client, key = s3
    written = publish(client, BUCKET, PREFIX, wheelhouse, key)

    assert written[-1] == f"{PREFIX}manifest.json"
    assert sorted(written[:-1]) == sorted(f"{PREFIX}{path.name}" for path in wheelhouse.glob("*.whl"))
    head = client.head_object(Bucket=BUCKET, Key=written[0])
    assert head["ServerSideEncryption"] == "aws:kms"
    manifest = json.loads(client.get_object(Bucket=BUCKET, Key=written[-1])["Body"].read())
    assert len(manifest["wheels"]) == 2


def test_a_published_content_is_never_written_again(s3, wheelhouse):
    client, key = s3
    publish(client, BUCKET, PREFIX, wheelhouse, key)
    (wheelhouse / "northwind_analytics-0.1.0-py3-none-any.whl").write_bytes(b"different bytes")

    assert publish(client, BUCKET, PREFIX, wheelhouse, key) == []
    body = client.get_object(Bucket=BUCKET, Key=f"{PREFIX}northwind_analytics-0.1.0-py3-none-any.whl")["Body"].read()
    assert body.startswith(b"wheel ")


def test_an_empty_wheelhouse_is_refused_with_what_to_run(s3, tmp_path):
    client, key = s3
    with pytest.raises(PublishError, match="run `make wheelhouse` first"):
        publish(client, BUCKET, PREFIX, tmp_path, key)
