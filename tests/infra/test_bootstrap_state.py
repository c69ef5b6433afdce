"""State bootstrap against moto's in-process AWS double (AWS itself cannot be reached from tests)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from environments import EnvironmentDefinitionError
from scripts.bootstrap_state import bootstrap


@pytest.fixture
def aws_double(monkeypatch):
    """moto stands in for AWS; its default account id is 123456789012."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    with mock_aws():
        yield boto3.Session(region_name="eu-west-2")


@pytest.fixture
def dev_in_moto_account(environments):
    return environments["dev"].model_copy(update={"account_id": "123456789012"})


def test_bootstrap_creates_a_private_versioned_kms_encrypted_tls_only_state_bucket(aws_double, dev_in_moto_account):
    report = bootstrap(dev_in_moto_account, aws_double)
    assert report.steps == {"kms key": "created", "state bucket": "created", "lock table": "created"}
    s3 = aws_double.client("s3")
    bucket = dev_in_moto_account.state.bucket
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_bootstrap_creates_an_encrypted_lock_table_with_point_in_time_recovery(aws_double, dev_in_moto_account):
    bootstrap(dev_in_moto_account, aws_double)
    dynamodb = aws_double.client("dynamodb")
    table = dynamodb.describe_table(TableName=dev_in_moto_account.state.lock_table)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
    assert table["SSEDescription"]["SSEType"] == "KMS"
    backups = dynamodb.describe_continuous_backups(TableName=dev_in_moto_account.state.lock_table)
    assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == (
        "ENABLED"
    )


def test_bootstrap_run_twice_finds_everything_present_and_keeps_one_key(aws_double, dev_in_moto_account):
    bootstrap(dev_in_moto_account, aws_double)
    report = bootstrap(dev_in_moto_account, aws_double)
    assert set(report.steps.values()) == {"present"}
    aliases = [
        a
        for a in aws_double.client("kms").list_aliases()["Aliases"]
        if a["AliasName"] == dev_in_moto_account.state.kms_key_alias
    ]
    assert len(aliases) == 1


def test_bootstrap_refuses_credentials_of_another_account(aws_double, environments):
    with pytest.raises(EnvironmentDefinitionError, match="credentials are for account 123456789012, but dev"):
        bootstrap(environments["dev"], aws_double)
