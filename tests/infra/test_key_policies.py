"""Every KMS key of every stack: who may use it and under which condition, exactly as AWS documents each
service's use, and an administration path that survives the loss of any one role."""

from __future__ import annotations

import pytest

from tests.infra.stack_json import as_list, key_policy

ADMINISTRATION = {"KeyAdministration", "BreakGlassKeyAdministration"}
# The read-only plan role's metadata reads (no data use) are checked with the pipeline (test_delivery.py).
NOT_KEY_USE = ADMINISTRATION | {"KeyMetadataReaders"}
# Per key purpose: every statement besides administration, as (Sid, principal, condition keys). A statement
# added, removed or re-conditioned anywhere fails this table until the change is reviewed here.
KEY_USE = {
    "lake": {("UseThroughServicesInThisAccount", "AWS root", ("kms:CallerAccount", "kms:ViaService"))},
    "database": {("UseThroughServicesInThisAccount", "AWS root", ("kms:CallerAccount", "kms:ViaService"))},
    "secrets": {("UseThroughServicesInThisAccount", "AWS root", ("kms:CallerAccount", "kms:ViaService"))},
    "ebs": {("UseThroughServicesInThisAccount", "AWS root", ("kms:CallerAccount", "kms:ViaService"))},
    "backup": {("UseThroughServicesInThisAccount", "AWS root", ("kms:CallerAccount", "kms:ViaService"))},
    # The landing function's environment (through Lambda) and its dead-letter queue (through SQS).
    "landing": {("UseThroughServicesInThisAccount", "AWS root", ("kms:CallerAccount", "kms:ViaService"))},
    "logs": {
        (
            "UseByCloudWatchLogsForThisAccountsLogGroups",
            "Service logs.eu-west-2.amazonaws.com",
            ("kms:EncryptionContext:aws:logs:arn",),
        )
    },
    "alerts": {
        (
            "CloudWatchAlarmsOfThisEnvironmentPublish",
            "Service cloudwatch.amazonaws.com",
            ("aws:SourceAccount", "aws:SourceArn", "kms:EncryptionContext:aws:sns:topicArn"),
        ),
        (
            "EventBridgePublishesToTheAlertTopic",
            "Service events.amazonaws.com",
            ("kms:EncryptionContext:aws:sns:topicArn",),
        ),
        ("UseThroughSnsInThisAccount", "AWS root", ("kms:CallerAccount", "kms:ViaService")),
    },
    "audit": {
        (
            "CloudTrailEncryptsThisTrailsLogs",
            "Service cloudtrail.amazonaws.com",
            ("aws:SourceArn", "kms:EncryptionContext:aws:cloudtrail:arn"),
        ),
        ("CloudTrailDescribesTheKey", "Service cloudtrail.amazonaws.com", ("aws:SourceArn",)),
        (
            "AccountPrincipalsDecryptTrailLogs",
            "AWS root",
            ("kms:CallerAccount", "kms:EncryptionContext:aws:cloudtrail:arn"),
        ),
        ("ConfigDeliversWithItsServiceLinkedRole", "AWS config service-linked role", ()),
        ("ReadAuditRecordsThroughS3InThisAccount", "AWS root", ("kms:CallerAccount", "kms:ViaService")),
    },
    "pipelines": {
        (
            "UseForThisEnvironmentsStateMachines",
            "AWS root",
            ("kms:CallerAccount", "kms:EncryptionContext:aws:states:stateMachineArn"),
        ),
        (
            "ExecutionLogDataKeysForThisAccountsLogDeliveries",
            "AWS root",
            ("kms:CallerAccount", "kms:EncryptionContext:SourceArn"),
        ),
        (
            "LogDeliveryDecryptsThisAccountsExecutionLogs",
            "Service delivery.logs.amazonaws.com",
            ("kms:EncryptionContext:SourceArn",),
        ),
        (
            "UseForThisEnvironmentsSchedules",
            "AWS root",
            ("kms:CallerAccount", "kms:EncryptionContext:aws:scheduler:schedule:arn"),
        ),
    },
    "lake-replica": {("UseThroughServicesInThisAccount", "AWS root", ("kms:CallerAccount", "kms:ViaService"))},
}


def _principal(statement: dict, account_id: str) -> str:
    ((kind, value),) = statement["Principal"].items()
    if value == f"arn:aws:iam::{account_id}:root":
        return f"{kind} root"
    if value == "${data.aws_iam_role.config-service-role.arn}":
        return f"{kind} config service-linked role"
    return f"{kind} {value}"


def _condition_keys(statement: dict) -> tuple[str, ...]:
    return tuple(sorted(key for block in statement.get("Condition", {}).values() for key in block))


def _purposes(stack) -> list[str]:
    return [key["tags"]["purpose"] for key in stack.resources("aws_kms_key").values()]


def test_each_key_admits_exactly_the_services_aws_documents_for_its_purpose_and_under_their_conditions(
    stack, environments
):
    env = environments[stack.name.removeprefix("northwind-")]
    assert set(_purposes(stack)) <= set(KEY_USE)
    for purpose in _purposes(stack):
        use = {
            (sid, _principal(s, env.account_id), _condition_keys(s))
            for sid, s in key_policy(stack, purpose).items()
            if sid not in NOT_KEY_USE
        }
        assert use == KEY_USE[purpose], purpose


def test_cloudwatch_logs_uses_the_logs_key_only_under_the_logs_arn_encryption_context_of_this_account(
    stack, environments
):
    env = environments[stack.name.removeprefix("northwind-")]
    statement = key_policy(stack, "logs")["UseByCloudWatchLogsForThisAccountsLogGroups"]
    assert statement["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{env.region}:{env.account_id}:log-group:*"}
    }
    assert statement["Action"] == [
        "kms:Decrypt*",
        "kms:Describe*",
        "kms:Encrypt*",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
    ]


def test_cloudwatch_and_eventbridge_encrypt_only_for_the_alert_topic_under_its_sns_encryption_context(
    stack, environments
):
    env = environments[stack.name.removeprefix("northwind-")]
    topic = f"arn:aws:sns:{env.region}:{env.account_id}:{stack.name}-alerts"
    statements = key_policy(stack, "alerts")
    for sid in ("CloudWatchAlarmsOfThisEnvironmentPublish", "EventBridgePublishesToTheAlertTopic"):
        assert statements[sid]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert statements[sid]["Condition"]["StringEquals"]["kms:EncryptionContext:aws:sns:topicArn"] == topic
    # AWS documents aws:SourceArn and aws:SourceAccount as unsupported in EventBridge's KMS requests.
    assert "aws:SourceAccount" not in str(statements["EventBridgePublishesToTheAlertTopic"])


def test_cloudtrail_encrypts_with_the_audit_key_only_for_this_trail(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    statement = key_policy(stack, "audit")["CloudTrailEncryptsThisTrailsLogs"]
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:{env.region}:{env.account_id}:trail/{stack.name}-audit"},
        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{env.account_id}:trail/*"},
    }
    assert statement["Action"] == ["kms:GenerateDataKey*"]


def test_the_pipelines_key_serves_only_this_environments_state_machines_schedules_and_their_log_delivery(
    stack, environments
):
    env = environments[stack.name.removeprefix("northwind-")]
    regional = f"{env.region}:{env.account_id}"
    machines = f"arn:aws:states:{regional}:stateMachine:{stack.name}-*"
    schedules = f"arn:aws:scheduler:{regional}:schedule/*/{stack.name}-*"
    statements = key_policy(stack, "pipelines")
    expected = {
        "UseForThisEnvironmentsStateMachines": (
            ["kms:Decrypt", "kms:GenerateDataKey"],
            {"kms:EncryptionContext:aws:states:stateMachineArn": machines},
        ),
        "UseForThisEnvironmentsSchedules": (
            ["kms:Decrypt", "kms:GenerateDataKey"],
            {"kms:EncryptionContext:aws:scheduler:schedule:arn": schedules},
        ),
        "ExecutionLogDataKeysForThisAccountsLogDeliveries": (
            ["kms:GenerateDataKey"],
            {"kms:EncryptionContext:SourceArn": f"arn:aws:logs:{regional}:*"},
        ),
    }
    for sid, (actions, context) in expected.items():
        assert statements[sid]["Action"] == actions, sid
        assert statements[sid]["Condition"] == {
            "StringEquals": {"kms:CallerAccount": env.account_id},
            "ArnLike": context,
        }, sid
    # No kms:ViaService: the execution role calls KMS as itself, and AWS warns the condition stops executions.
    assert "kms:ViaService" not in str(statements)
    delivery = statements["LogDeliveryDecryptsThisAccountsExecutionLogs"]
    assert delivery["Action"] == ["kms:Decrypt"]
    assert delivery["Condition"] == {"ArnLike": {"kms:EncryptionContext:SourceArn": f"arn:aws:logs:{regional}:*"}}


@pytest.mark.parametrize("sid", sorted(ADMINISTRATION))
def test_every_key_is_administered_through_the_account_by_principal_arn_so_no_role_must_exist(stack, environments, sid):
    env = environments[stack.name.removeprefix("northwind-")]
    for purpose in _purposes(stack):
        statement = key_policy(stack, purpose)[sid]
        assert statement["Principal"] == {"AWS": f"arn:aws:iam::{env.account_id}:root"}, purpose
        assert "kms:PutKeyPolicy" in statement["Action"] and "kms:Decrypt" not in statement["Action"]
        admins = as_list(statement["Condition"]["ArnEquals"]["aws:PrincipalArn"])
        assert admins == ([env.break_glass_role_arn] if sid.startswith("BreakGlass") else [env.deploy_role_arn])


def test_the_break_glass_path_of_every_key_requires_mfa(stack):
    for purpose in _purposes(stack):
        statement = key_policy(stack, purpose)["BreakGlassKeyAdministration"]
        assert statement["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}, purpose
