"""State bootstrap against moto's in-process AWS double (AWS itself cannot be reached from tests)."""

from __future__ import annotations

import json

import pytest

from environments import EnvironmentDefinitionError
from scripts.account_policies import state_reader_arns
from scripts.bootstrap_state import access_log_bucket_name, bootstrap

# ListAliases answers at most 50 aliases a page by default (AWS KMS API reference).
KMS_ALIASES_PER_PAGE = 50


@pytest.fixture
def dev_in_moto_account(environments):
    return environments["dev"].model_copy(update={"account_id": "123456789012"})


def _page_list_aliases_like_kms(session) -> None:
    """moto answers ListAliases with every alias at once; AWS pages them (Limit 50, Truncated, NextMarker).
    This hook cuts moto's answer into AWS's pages, so a look-up that reads only the first page misses later
    aliases as it would in a busy account."""

    def page(parsed, model, **_):
        if model.name != "ListAliases":
            return
        aliases = parsed.get("Aliases", [])
        if len(aliases) > KMS_ALIASES_PER_PAGE:
            parsed["Aliases"], parsed["Truncated"], parsed["NextMarker"] = aliases[:KMS_ALIASES_PER_PAGE], True, "next"

    session.events.register(
        "after-call.kms.ListAliases", lambda http_response, parsed, model, **kw: page(parsed, model)
    )


def test_bootstrap_creates_a_private_versioned_kms_encrypted_tls_only_state_bucket(aws_double, dev_in_moto_account):
    report = bootstrap(dev_in_moto_account, aws_double)
    assert report.steps == {
        "kms key": "created",
        "access-log bucket": "created",
        "state bucket": "created",
        "lock table": "created",
    }
    s3 = aws_double.client("s3")
    bucket = dev_in_moto_account.state.bucket
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    statements = {s["Sid"]: s for s in json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]}
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_state_bucket_refuses_unencrypted_or_wrong_key_writes_and_any_reader_but_the_state_roles(
    aws_double, dev_in_moto_account
):
    bootstrap(dev_in_moto_account, aws_double)
    s3 = aws_double.client("s3")
    policy = json.loads(s3.get_bucket_policy(Bucket=dev_in_moto_account.state.bucket)["Policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["DenyWritesNotEncryptedWithKms"]["Condition"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}
    }
    key_ids = statements["DenyWritesWithAnotherKey"]["Condition"]["StringNotEquals"][
        "s3:x-amz-server-side-encryption-aws-kms-key-id"
    ]
    assert dev_in_moto_account.state_kms_key_arn in key_ids and len(key_ids) == 2
    readers = statements["DenyObjectAccessToAllButTheStateRoles"]
    assert "s3:GetObject" in readers["Action"] and readers["Effect"] == "Deny"
    assert readers["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": state_reader_arns(dev_in_moto_account)}}


def test_the_state_key_has_an_explicit_policy_admitting_use_through_s3_and_the_lock_tables_dynamodb_only(
    aws_double, dev_in_moto_account
):
    bootstrap(dev_in_moto_account, aws_double)
    kms = aws_double.client("kms")
    key_id = kms.describe_key(KeyId=dev_in_moto_account.state.kms_key_alias)["KeyMetadata"]["KeyId"]
    statements = {
        s["Sid"]: s for s in json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])["Statement"]
    }
    assert set(statements) == {"KeyAdministrationByTheAccountsAdministrators", "UseThroughS3AndDynamoDbInThisAccount"}
    assert not {"kms:Decrypt", "kms:*"} & set(statements["KeyAdministrationByTheAccountsAdministrators"]["Action"])
    assert statements["UseThroughS3AndDynamoDbInThisAccount"]["Condition"]["StringEquals"]["kms:ViaService"] == [
        "s3.eu-west-2.amazonaws.com",
        "dynamodb.eu-west-2.amazonaws.com",
    ]
    table = aws_double.client("dynamodb").describe_table(TableName=dev_in_moto_account.state.lock_table)["Table"]
    assert table["SSEDescription"]["KMSMasterKeyArn"].endswith(key_id)


def test_the_state_bucket_logs_its_access_to_a_log_bucket_only_s3_logging_for_this_account_writes(
    aws_double, dev_in_moto_account
):
    bootstrap(dev_in_moto_account, aws_double)
    s3 = aws_double.client("s3")
    logs = access_log_bucket_name(dev_in_moto_account)
    logging = s3.get_bucket_logging(Bucket=dev_in_moto_account.state.bucket)["LoggingEnabled"]
    assert logging == {"TargetBucket": logs, "TargetPrefix": f"s3/{dev_in_moto_account.state.bucket}/"}
    delivery = next(
        s for s in json.loads(s3.get_bucket_policy(Bucket=logs)["Policy"])["Statement"] if s["Effect"] == "Allow"
    )
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    rule = s3.get_bucket_encryption(Bucket=logs)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_bootstrap_creates_a_lock_table_with_point_in_time_recovery_and_deletion_protection(
    aws_double, dev_in_moto_account
):
    bootstrap(dev_in_moto_account, aws_double)
    dynamodb = aws_double.client("dynamodb")
    table = dynamodb.describe_table(TableName=dev_in_moto_account.state.lock_table)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
    assert table["SSEDescription"]["SSEType"] == "KMS"
    assert table["DeletionProtectionEnabled"] is True
    backups = dynamodb.describe_continuous_backups(TableName=dev_in_moto_account.state.lock_table)
    assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == (
        "ENABLED"
    )


def test_an_existing_lock_table_without_deletion_protection_gets_it(aws_double, dev_in_moto_account):
    bootstrap(dev_in_moto_account, aws_double)
    dynamodb = aws_double.client("dynamodb")
    dynamodb.update_table(TableName=dev_in_moto_account.state.lock_table, DeletionProtectionEnabled=False)
    assert bootstrap(dev_in_moto_account, aws_double).steps["lock table"] == "updated"
    assert dynamodb.describe_table(TableName=dev_in_moto_account.state.lock_table)["Table"]["DeletionProtectionEnabled"]


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


def test_a_rerun_in_an_account_with_more_than_a_page_of_kms_aliases_keeps_one_state_key(
    aws_double, dev_in_moto_account
):
    kms = aws_double.client("kms")
    # A busy account: these aliases come before the state alias, which lands on a later page.
    team_key = kms.create_key()["KeyMetadata"]["KeyId"]
    for index in range(KMS_ALIASES_PER_PAGE + 10):
        kms.create_alias(AliasName=f"alias/team-{index:03}", TargetKeyId=team_key)
    bootstrap(dev_in_moto_account, aws_double)
    _page_list_aliases_like_kms(aws_double)
    assert aws_double.client("kms").list_aliases()["Truncated"] is True
    keys_before = len(kms.list_keys()["Keys"])
    assert bootstrap(dev_in_moto_account, aws_double).steps["kms key"] == "present"
    assert len(kms.list_keys()["Keys"]) == keys_before


def test_a_rerun_in_an_account_with_more_than_a_page_of_tables_finds_the_lock_table(aws_double, dev_in_moto_account):
    dynamodb = aws_double.client("dynamodb")
    # ListTables answers at most 100 names a page; the lock table comes after these.
    for index in range(101):
        dynamodb.create_table(
            TableName=f"team-{index:03}",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    bootstrap(dev_in_moto_account, aws_double)
    assert "LastEvaluatedTableName" in dynamodb.list_tables()
    assert bootstrap(dev_in_moto_account, aws_double).steps["lock table"] == "present"


def test_rotation_is_switched_back_on_for_an_existing_state_key(aws_double, dev_in_moto_account):
    bootstrap(dev_in_moto_account, aws_double)
    kms = aws_double.client("kms")
    key_id = kms.describe_key(KeyId=dev_in_moto_account.state.kms_key_alias)["KeyMetadata"]["KeyId"]
    kms.disable_key_rotation(KeyId=key_id)
    assert bootstrap(dev_in_moto_account, aws_double).steps["kms key"] == "updated"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True


def test_an_existing_state_key_with_another_policy_gets_the_explicit_policy(aws_double, dev_in_moto_account):
    kms = aws_double.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=dev_in_moto_account.state.kms_key_alias, TargetKeyId=key_id)
    kms.enable_key_rotation(KeyId=key_id)
    assert bootstrap(dev_in_moto_account, aws_double).steps["kms key"] == "updated"
    sids = {s["Sid"] for s in json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])["Statement"]}
    assert "UseThroughS3AndDynamoDbInThisAccount" in sids


def test_bootstrap_refuses_credentials_of_another_account(aws_double, environments):
    with pytest.raises(EnvironmentDefinitionError, match="credentials are for account 123456789012, but dev"):
        bootstrap(environments["dev"], aws_double)
