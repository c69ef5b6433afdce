"""Detective controls of every stack: CloudTrail, AWS Config, Security Hub, GuardDuty, IAM Access Analyzer, and
their findings routed to the alert topic with a runbook section each."""

from __future__ import annotations

import json

import yaml

from environments import DEFINITIONS_DIR, load_environments
from modules.detection import CONFIG_RULES, RUNBOOK
from tests.infra.conftest import synthesize
from tests.infra.stack_json import as_list, referenced, statements


def _env(stack, environments):
    return environments[stack.name.removeprefix("northwind-")]


def test_cloudtrail_records_every_region_encrypted_signed_and_the_lakes_object_level_calls(stack):
    trail = stack.one("aws_cloudtrail")
    assert trail["is_multi_region_trail"] is True and trail["include_global_service_events"] is True
    assert trail["enable_log_file_validation"] is True and trail["enable_logging"] is True
    key = stack.resources("aws_kms_key")[referenced(trail["kms_key_id"])[1]]
    assert key["tags"]["purpose"] == "audit" and key["enable_key_rotation"] is True
    selectors = {s["name"]: {f["field"]: f for f in s["field_selector"]} for s in trail["advanced_event_selector"]}
    assert selectors["Management events"]["eventCategory"]["equals"] == ["Management"]
    lake = selectors["Object-level calls on the lake bucket"]
    assert lake["eventCategory"]["equals"] == ["Data"] and lake["resources.type"]["equals"] == ["AWS::S3::Object"]
    assert lake["resources.ARN"]["starts_with"] == ["${aws_s3_bucket.lake_bucket_666EA5BD.arn}/"]
    assert trail["cloud_watch_logs_group_arn"].endswith(".arn}:*")


def test_the_audit_bucket_admits_cloudtrail_for_this_trail_and_config_for_this_account_only(stack, environments):
    env = _env(stack, environments)
    trail = stack.one("aws_cloudtrail")
    (policy,) = [
        p
        for p in stack.resources("aws_s3_bucket_policy").values()
        if referenced(p["bucket"]) == referenced(trail["s3_bucket_name"])
    ]
    granted = statements(policy["policy"])
    arn = f"arn:aws:cloudtrail:{env.region}:{env.account_id}:trail/{stack.name}-audit"
    assert granted["CloudTrailWritesThisTrailsLogs"]["Condition"] == {
        "StringEquals": {"aws:SourceArn": arn, "s3:x-amz-acl": "bucket-owner-full-control"}
    }
    assert granted["CloudTrailWritesThisTrailsLogs"]["Resource"][0].endswith(f"/cloudtrail/AWSLogs/{env.account_id}/*")
    assert granted["ConfigWritesThisAccountsHistory"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": env.account_id, "s3:x-amz-acl": "bucket-owner-full-control"}
    }
    assert granted["DenyUploadsWithAnotherKey"]["Effect"] == "Deny"


def test_config_records_every_resource_as_its_service_linked_role_and_delivers_encrypted_to_the_audit_bucket(stack):
    recorder = stack.one("aws_config_configuration_recorder")
    assert recorder["role_arn"] == "${data.aws_iam_role.config-service-role.arn}"
    assert recorder["recording_group"] == {"all_supported": True, "include_global_resource_types": True}
    channel = stack.one("aws_config_delivery_channel")
    assert channel["s3_kms_key_arn"] == stack.one("aws_cloudtrail")["kms_key_id"]
    assert channel["s3_bucket_name"] == stack.one("aws_cloudtrail")["s3_bucket_name"]
    assert stack.one("aws_config_configuration_recorder_status")["is_enabled"] is True


def test_config_rules_recheck_each_guardrail_the_stacks_impose(stack):
    rules = {r["source"]["source_identifier"]: r for r in stack.resources("aws_config_config_rule").values()}
    assert set(rules) == {rule.identifier for rule in CONFIG_RULES}
    assert all(r["source"]["owner"] == "AWS" and r["name"].startswith(f"{stack.name}-") for r in rules.values())
    for must in (
        "S3_BUCKET_SSL_REQUESTS_ONLY",
        "CMK_BACKING_KEY_ROTATION_ENABLED",
        "EC2_IMDSV2_CHECK",
        "RDS_INSTANCE_PUBLIC_ACCESS_CHECK",
        "CLOUDWATCH_LOG_GROUP_ENCRYPTED",
        "VPC_FLOW_LOGS_ENABLED",
    ):
        assert must in rules


def test_security_hub_runs_the_aws_foundational_security_best_practices_standard(stack, environments):
    env = _env(stack, environments)
    hub = stack.one("aws_securityhub_account")
    assert hub["enable_default_standards"] is False and hub["control_finding_generator"] == "SECURITY_CONTROL"
    assert stack.one("aws_securityhub_standards_subscription")["standards_arn"] == (
        f"arn:aws:securityhub:{env.region}::standards/aws-foundational-security-best-practices/v/1.0.0"
    )


def test_guardduty_watches_the_account_with_s3_and_rds_protection(stack):
    assert stack.one("aws_guardduty_detector")["enable"] is True
    features = {f["name"]: f["status"] for f in stack.resources("aws_guardduty_detector_feature").values()}
    assert features == {"S3_DATA_EVENTS": "ENABLED", "RDS_LOGIN_EVENTS": "ENABLED"}


def test_iam_access_analyzer_watches_the_account(stack):
    analyzer = stack.one("aws_accessanalyzer_analyzer")
    assert analyzer["type"] == "ACCOUNT" and analyzer["analyzer_name"] == f"{stack.name}-access"


def _routes(stack) -> dict[str, tuple[dict, dict]]:
    rules = stack.resources("aws_cloudwatch_event_rule")
    targets = {referenced(t["rule"])[1]: t for t in stack.resources("aws_cloudwatch_event_target").values()}
    return {b["name"]: (b, targets[k]) for k, b in rules.items()}


def test_high_and_critical_findings_reach_the_alert_topic_naming_their_runbook_section(stack):
    """Each route names its own section of the security-findings runbook; that the section exists is checked
    for every alerting rule in tests/infra/test_runbook_links.py."""
    routes = _routes(stack)
    topic = f"${{aws_sns_topic.{next(iter(stack.resources('aws_sns_topic')))}.arn}}"
    for key in (
        "security-hub-findings",
        "guardduty-findings",
        "access-analyzer-findings",
        "config-non-compliance",
        "detective-controls-tampering",
        "break-glass-used",
    ):
        rule, target = routes[f"{stack.name}-{key}"]
        assert target["arn"] == topic
        assert rule["description"].endswith(f"Runbook: docs/runbooks/{RUNBOOK}#{key}"), rule["name"]
    hub = json.loads(routes[f"{stack.name}-security-hub-findings"][0]["event_pattern"])
    assert hub["detail"]["findings"]["Severity"]["Label"] == ["HIGH", "CRITICAL"]
    guardduty = json.loads(routes[f"{stack.name}-guardduty-findings"][0]["event_pattern"])
    assert guardduty["detail"]["severity"] == [{"numeric": [">=", 7]}]


def test_security_hub_routes_no_copy_of_findings_that_have_their_own_rule(stack):
    hub = json.loads(_routes(stack)[f"{stack.name}-security-hub-findings"][0]["event_pattern"])
    assert hub["detail"]["findings"]["ProductName"] == [{"anything-but": ["GuardDuty", "IAM Access Analyzer"]}]


def test_the_break_glass_alert_watches_the_break_glass_role(stack, environments):
    rule, _ = _routes(stack)[f"{stack.name}-break-glass-used"]
    pattern = json.loads(rule["event_pattern"])
    assert pattern["detail"]["requestParameters"]["roleArn"] == [_env(stack, environments).break_glass_role_arn]


def test_in_organization_mode_the_delegated_administrator_owns_the_account_wide_services(tmp_path):
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    for path in DEFINITIONS_DIR.glob("*.yaml"):
        definition = yaml.safe_load(path.read_text())
        if definition["name"] == "dev":
            definition["detective_controls"] = {"mode": "organization"}
        (definitions / path.name).write_text(yaml.safe_dump(definition))
    dev = synthesize({"dev": load_environments(definitions)["dev"]}, tmp_path / "out")["dev"]
    for delegated in (
        "aws_securityhub_account",
        "aws_guardduty_detector",
        "aws_accessanalyzer_analyzer",
        "aws_config_configuration_recorder",
        "aws_config_delivery_channel",
    ):
        assert dev.resources(delegated) == {}, delegated
    trail = dev.one("aws_cloudtrail")
    assert trail["is_multi_region_trail"] is False
    assert [s["name"] for s in trail["advanced_event_selector"]] == ["Object-level calls on the lake bucket"]
    assert len(dev.resources("aws_config_config_rule")) == len(CONFIG_RULES)
    assert all("depends_on" not in r for r in dev.resources("aws_config_config_rule").values())
    assert {r["name"] for r in dev.resources("aws_cloudwatch_event_rule").values()} >= {
        "northwind-dev-guardduty-findings"
    }
    assert as_list(trail["depends_on"])
