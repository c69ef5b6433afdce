"""What a first ``cdktf deploy`` would trip over: AWS checks access when some resources are created, IAM is
eventually consistent, and names collide. Terraform plan cannot run here, so each rule is encoded over the
synthesized JSON, one test per rule, named after it."""

from __future__ import annotations

import json

import pytest

from tests.infra.stack_json import address, bucket_policy_address, referenced, role_policy_addresses

# Resources that hand a role to a service which uses it at creation (or checks its permissions then), and the
# attribute naming the role. Each must be created after the role's policies, or IAM's eventual consistency
# fails the first apply.
ROLE_CHECKED_AT_CREATION = {
    ("aws_db_instance", "monitoring_role_arn"): "RDS checks that the monitoring role grants ENHANCED_MONITORING",
    ("aws_flow_log", "iam_role_arn"): "VPC Flow Logs starts delivering with the role when the flow log exists",
    ("aws_s3_bucket_replication_configuration", "role"): "S3 replicates new objects with the role at once",
    ("aws_cloudtrail", "cloud_watch_logs_role_arn"): "CreateTrail fails with InvalidCloudWatchLogsRoleArnException",
    ("aws_kinesis_firehose_delivery_stream", "role_arn"): "Firehose assumes the role to check its destination",
    ("aws_sfn_state_machine", "role_arn"): "CreateStateMachine checks the role may be assumed and deliver logs",
}


def _depends_on(body: dict) -> set[str]:
    return set(body.get("depends_on", []))


@pytest.mark.parametrize(("resource_type", "attribute"), sorted(ROLE_CHECKED_AT_CREATION))
def test_a_service_given_a_role_it_checks_at_creation_is_created_after_the_roles_policies(
    synthesized, resource_type, attribute
):
    checked = 0
    for stack in synthesized.values():
        for name, body in stack.resources(resource_type).items():
            role = referenced(body.get(attribute, ""))
            if role is None:
                continue
            policies = role_policy_addresses(stack, role[1])
            assert policies, f"{stack.name} {resource_type}.{name}: its role has no policy"
            missing = policies - _depends_on(body)
            assert not missing, f"{stack.name} {resource_type}.{name} must depend on {sorted(missing)}"
            checked += 1
    assert checked or resource_type == "aws_kinesis_firehose_delivery_stream"


def test_a_load_balancer_writing_access_logs_is_created_after_the_log_buckets_policy_elb_checks_write_access(stack):
    (load_balancer,) = stack.resources("aws_lb").values()
    assert load_balancer["access_logs"]["enabled"] is True
    assert bucket_policy_address(stack, load_balancer["access_logs"]["bucket"]) in _depends_on(load_balancer)


def test_server_access_logging_is_switched_on_after_the_target_policy_admits_the_logging_service(stack):
    logging = stack.resources("aws_s3_bucket_logging")
    assert logging
    for name, body in logging.items():
        assert bucket_policy_address(stack, body["target_bucket"]) in _depends_on(body), name


def test_cloudtrail_is_created_after_the_audit_bucket_policy_or_create_trail_fails_on_the_bucket_policy(stack):
    (trail,) = stack.resources("aws_cloudtrail").values()
    assert bucket_policy_address(stack, trail["s3_bucket_name"]) in _depends_on(trail)


def test_the_config_delivery_channel_follows_the_recorder_and_the_bucket_policy_and_starts_last(stack):
    (channel_id, channel), *_ = stack.resources("aws_config_delivery_channel").items()
    (recorder_id, _), *_ = stack.resources("aws_config_configuration_recorder").items()
    (status,) = stack.resources("aws_config_configuration_recorder_status").values()
    assert {
        address("aws_config_configuration_recorder", recorder_id),
        bucket_policy_address(stack, channel["s3_bucket_name"]),
    } <= _depends_on(channel)
    assert address("aws_config_delivery_channel", channel_id) in _depends_on(status)


def test_config_rules_wait_for_the_recorder_because_aws_config_refuses_rules_without_one(stack):
    (recorder_id, _), *_ = stack.resources("aws_config_configuration_recorder").items()
    rules = stack.resources("aws_config_config_rule")
    assert rules
    assert all(address("aws_config_configuration_recorder", recorder_id) in _depends_on(r) for r in rules.values())


def test_a_security_hub_standard_is_subscribed_only_after_security_hub_is_enabled(stack):
    (hub_id, _), *_ = stack.resources("aws_securityhub_account").items()
    for subscription in stack.resources("aws_securityhub_standards_subscription").values():
        assert address("aws_securityhub_account", hub_id) in _depends_on(subscription)


def test_targets_on_the_alert_topic_wait_for_its_policy_because_eventbridge_drops_refused_events_silently(stack):
    topic_policies = {address("aws_sns_topic_policy", k) for k in stack.resources("aws_sns_topic_policy")}
    targets = [t for t in stack.resources("aws_cloudwatch_event_target").values() if "aws_sns_topic." in t["arn"]]
    assert len(targets) >= 2
    assert all(topic_policies & _depends_on(target) for target in targets)


def test_the_parameter_group_takes_a_name_prefix_because_create_before_destroy_collides_with_a_fixed_name(stack):
    (group,) = stack.resources("aws_db_parameter_group").values()
    assert group["lifecycle"]["create_before_destroy"] is True
    assert "name" not in group and group["name_prefix"].startswith(f"{stack.name}-serving-postgres")


def test_the_https_listener_uses_the_certificate_looked_up_by_domain_so_a_missing_one_fails_the_plan(
    stack, environments
):
    env = environments[stack.name.removeprefix("northwind-")]
    ((name, certificate),) = stack.config["data"]["aws_acm_certificate"].items()
    settings = {k: v for k, v in certificate.items() if k != "//"}
    assert settings == {"domain": env.compute.certificate_domain, "most_recent": True, "statuses": ["ISSUED"]}
    (https,) = [b for b in stack.resources("aws_lb_listener").values() if b["port"] == 443]
    assert https["certificate_arn"] == f"${{data.aws_acm_certificate.{name}.arn}}"


def test_no_environment_definition_types_a_certificate_arn(environments):
    for env in environments.values():
        assert "arn:aws:acm" not in json.dumps(env.model_dump(mode="json"))


def test_what_the_account_bootstrap_creates_is_looked_up_so_a_plan_without_it_fails_naming_it(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    data = stack.config["data"]
    assert [p["arn"] for p in data["aws_iam_saml_provider"].values()] == [env.saml_provider_arn]
    assert [p["arn"] for p in data["aws_iam_policy"].values()] == [env.permissions_boundary_arn]
    assert [r["name"] for r in data["aws_iam_role"].values()] == ["AWSServiceRoleForConfig"]
