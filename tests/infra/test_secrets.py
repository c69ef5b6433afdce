"""Every secret the platform reads is a resource without a value, encrypted with the secrets key and readable only
by its readers; the serving load and the bootstrap job reach the database as the AWS rules require."""

from __future__ import annotations

import json

import pytest

from modules.platform_secrets import PLATFORM_SECRETS, platform_secret
from modules.secrets import SecretReaders, SecretsProps


def _policy(stack, role: str) -> list[dict]:
    roles = stack.resources("aws_iam_role")
    address = next(a for a, r in roles.items() if r["name"] == f"{stack.name}-{role}")
    return [
        statement
        for policy in stack.resources("aws_iam_role_policy").values()
        if policy["role"] == f"${{aws_iam_role.{address}.id}}"
        for statement in json.loads(policy["policy"])["Statement"]
    ]


def _role_arn(stack, role: str) -> str:
    address = next(a for a, r in stack.resources("aws_iam_role").items() if r["name"] == f"{stack.name}-{role}")
    return f"${{aws_iam_role.{address}.arn}}"


def test_every_platform_secret_is_a_secret_encrypted_with_the_secrets_key(stack):
    secrets = {s["name"]: s for s in stack.resources("aws_secretsmanager_secret").values()}
    keys = stack.resources("aws_kms_key")
    for secret in PLATFORM_SECRETS:
        body = secrets[secret.name(stack.name)]
        key = keys[body["kms_key_id"].split(".")[1]]
        assert key["tags"]["purpose"] == "secrets"


def test_no_secret_value_is_ever_in_terraform_state(stack):
    assert stack.resources("aws_secretsmanager_secret_version") == {}


def test_only_the_readers_read_a_secret_and_everyone_else_is_denied_its_value(stack):
    jobs = _role_arn(stack, "glue-jobs")
    # The erasure job also finds a customer's pseudonymized rows with the pseudonymization key.
    readers = {"pseudonym-key": [jobs, _role_arn(stack, "glue-erasure")]}
    secrets = stack.resources("aws_secretsmanager_secret")
    for policy in stack.resources("aws_secretsmanager_secret_policy").values():
        assert policy["block_public_policy"] is True
        name = secrets[policy["secret_arn"].split(".")[1]]["name"].split("/")[-1]
        statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
        assert statements["ReadersReadTheValue"]["Principal"] == {"AWS": readers.get(name, [jobs])}
        deny = statements["NobodyElseReadsTheValue"]
        assert deny["Effect"] == "Deny" and deny["Action"] == ["secretsmanager:GetSecretValue"]
        assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": readers.get(name, [jobs])}}
        assert statements["WritersSetTheValue"]["Action"] == [
            "secretsmanager:DescribeSecret",
            "secretsmanager:PutSecretValue",
        ]
        assert statements["WritersSetTheValue"]["Principal"] == {"AWS": [_role_arn(stack, "devops-sre")]}


def test_the_glue_jobs_role_reads_each_platform_secret_by_arn_and_never_the_master_secret(stack):
    reads = [s for s in _policy(stack, "glue-jobs") if "secretsmanager:GetSecretValue" in s["Action"]]
    resources = sorted(r for s in reads for r in s["Resource"])
    assert all(r.startswith("${aws_secretsmanager_secret.") for r in resources)
    assert len(resources) == len(PLATFORM_SECRETS)


def test_only_the_bootstrap_role_reads_the_databases_master_secret(stack):
    master = [
        s
        for role in ("glue-jobs", "glue-serving-bootstrap")
        for s in _policy(stack, role)
        if any("master_user_secret" in r for r in s["Resource"])
    ]
    assert len(master) == 1
    assert master[0] in _policy(stack, "glue-serving-bootstrap")


def test_the_serving_load_may_connect_only_as_its_own_database_user(stack):
    (connect,) = [s for s in _policy(stack, "glue-jobs") if s["Action"] == ["rds-db:connect"]]
    (resource,) = connect["Resource"]
    assert resource.endswith(".resource_id}/serving_load") and ":dbuser:${aws_db_instance." in resource


def test_the_jobs_publish_metrics_only_in_glues_namespace_and_the_pipelines(stack):
    (metrics,) = [s for s in _policy(stack, "glue-jobs") if s["Sid"] == "PublishJobMetrics"]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": ["Glue", "Northwind/Pipeline"]}}


def test_the_scheduler_may_start_only_this_environments_pipelines(stack):
    (start,) = [s for s in _policy(stack, "pipeline-scheduler") if s["Action"] == ["states:StartExecution"]]
    assert start["Resource"][0].endswith(f":stateMachine:{stack.name}-pipeline-*")


def test_secret_props_refuse_a_secret_nobody_reads():
    with pytest.raises(ValueError, match="nobody reads"):
        SecretReaders(platform_secret("rapidapi"), ())


def test_a_deleted_secret_is_recoverable_for_30_days_unless_both_switches_allow_7():
    base = dict(name_prefix="northwind-x", kms_key_arn="k", secrets=(), writer_role_arns=())
    assert SecretsProps(**base).recovery_window_days == 30
    assert SecretsProps(**base, deletion_requested=True).recovery_window_days == 30
    assert SecretsProps(**base, deletion_requested=True, allow_data_destruction=True).recovery_window_days == 7
