"""AWS Backup: an encrypted vault and a daily and monthly plan over the database and the critical buckets."""

from __future__ import annotations

import json

import pytest

from modules.backup import BACKUP_SERVICE_POLICIES, BackupProps
from modules.classification import Classification, contract_datasets, store_classification


def _env(stack, environments):
    return environments[stack.name.removeprefix("northwind-")]


def test_the_vault_is_encrypted_with_the_backup_key_and_classified_like_what_it_holds(stack):
    vault = stack.one("aws_backup_vault")
    (backup_key,) = [k for k, b in stack.resources("aws_kms_key").items() if b["tags"]["purpose"] == "backup"]
    assert vault["kms_key_arn"] == f"${{aws_kms_key.{backup_key}.arn}}"
    assert vault["tags"]["data-classification"] == store_classification(contract_datasets()).value


def test_the_backup_key_is_usable_only_through_aws_backup(stack):
    (backup_key,) = [b for b in stack.resources("aws_kms_key").values() if b["tags"]["purpose"] == "backup"]
    use = next(
        s for s in json.loads(backup_key["policy"])["Statement"] if s["Sid"] == "UseThroughServicesInThisAccount"
    )
    assert use["Condition"]["StringLike"]["kms:ViaService"] == ["backup.eu-west-2.amazonaws.com"]


def test_daily_and_monthly_rules_keep_recovery_points_as_the_environment_says(stack, environments):
    env = _env(stack, environments)
    rules = {rule["rule_name"]: rule for rule in stack.one("aws_backup_plan")["rule"]}
    assert rules["daily"]["lifecycle"] == {"delete_after": env.backup.daily_retention_days}
    assert rules["monthly"]["lifecycle"] == {"delete_after": env.backup.monthly_retention_days}
    assert rules["daily"]["schedule"] == "cron(0 5 * * ? *)"
    assert rules["monthly"]["schedule"] == "cron(0 6 1 * ? *)"
    vault = next(iter(stack.resources("aws_backup_vault")))
    assert {rule["target_vault_name"] for rule in rules.values()} == {f"${{aws_backup_vault.{vault}.name}}"}


def test_the_plan_covers_the_lake_bucket_and_every_database_instance(stack, environments):
    env = _env(stack, environments)
    selection = stack.one("aws_backup_selection")
    lake = next(
        k
        for k, b in stack.resources("aws_s3_bucket").items()
        if b["bucket"] == f"northwind-data-lake-{env.name}-{env.account_id}"
    )
    expected = {f"${{aws_s3_bucket.{lake}.arn}}"} | {
        f"${{aws_db_instance.{name}.arn}}" for name in stack.resources("aws_db_instance")
    }
    assert set(selection["resources"]) == expected


def test_the_backup_role_holds_only_aws_backups_own_service_policies(stack):
    role = next(k for k, b in stack.resources("aws_iam_role").items() if b["name"].endswith("-backup"))
    attached = {
        b["policy_arn"]
        for b in stack.resources("aws_iam_role_policy_attachment").values()
        if b["role"] == f"${{aws_iam_role.{role}.name}}"
    }
    assert attached == set(BACKUP_SERVICE_POLICIES)


def test_the_vault_keeps_its_recovery_points_unless_the_environment_allows_destruction(stack, environments):
    assert stack.one("aws_backup_vault")["force_destroy"] is _env(stack, environments).allow_data_destruction


def _props(**overrides) -> BackupProps:
    values = {
        "name_prefix": "northwind-x",
        "account_id": "111111111111",
        "region": "eu-west-2",
        "kms_key_arn": "arn:aws:kms:eu-west-2:111111111111:key/x",
        "classification": Classification.INTERNAL,
        "daily_retention_days": 7,
        "monthly_retention_days": 90,
        "protected_resource_arns": ("arn:aws:s3:::bucket",),
    } | overrides
    return BackupProps(**values)


def test_backup_props_refuse_nothing_to_protect_and_a_monthly_retention_shorter_than_daily():
    with pytest.raises(ValueError, match="at least one resource"):
        _props(protected_resource_arns=())
    with pytest.raises(ValueError, match="monthly_retention_days must be at least 30"):
        _props(daily_retention_days=60, monthly_retention_days=45)


def test_destruction_needs_both_the_request_and_the_environments_permission():
    assert not _props(force_destroy_requested=True).force_destroy
    assert not _props(allow_data_destruction=True).force_destroy
    assert _props(force_destroy_requested=True, allow_data_destruction=True).force_destroy
