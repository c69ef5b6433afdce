"""Every resource of every stack that can be encrypted with a customer-managed key is, with one of the stack's own
keys; every other resource type is listed with the reason it has none. A new resource type fails here until it
is classified, so a capability cannot fall back to an AWS-owned or AWS-managed key unnoticed."""

from __future__ import annotations

from tests.infra.stack_json import referenced

# Resource type -> the attributes (dotted paths; lists are walked element by element) that must name a
# customer-managed key of the stack.
KEY_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "aws_athena_workgroup": ("configuration.result_configuration.encryption_configuration.kms_key_arn",),
    "aws_backup_vault": ("kms_key_arn",),
    "aws_cloudtrail": ("kms_key_id",),
    "aws_cloudwatch_log_group": ("kms_key_id",),
    "aws_codebuild_project": ("encryption_key",),
    "aws_codepipeline": ("artifact_store.encryption_key.id",),
    "aws_config_delivery_channel": ("s3_kms_key_arn",),
    "aws_db_instance": ("kms_key_id", "performance_insights_kms_key_id", "master_user_secret_kms_key_id"),
    "aws_kinesis_firehose_delivery_stream": (
        "server_side_encryption.key_arn",
        "extended_s3_configuration.kms_key_arn",
    ),
    "aws_lambda_function": ("kms_key_arn",),
    "aws_glue_data_catalog_encryption_settings": (
        "data_catalog_encryption_settings.encryption_at_rest.sse_aws_kms_key_id",
        "data_catalog_encryption_settings.connection_password_encryption.aws_kms_key_id",
    ),
    "aws_glue_security_configuration": (
        "encryption_configuration.cloudwatch_encryption.kms_key_arn",
        "encryption_configuration.job_bookmarks_encryption.kms_key_arn",
        "encryption_configuration.s3_encryption.kms_key_arn",
    ),
    "aws_launch_template": ("block_device_mappings.ebs.kms_key_id",),
    "aws_s3_bucket_replication_configuration": ("rule.destination.encryption_configuration.replica_kms_key_id",),
    "aws_s3_bucket_server_side_encryption_configuration": (
        "rule.apply_server_side_encryption_by_default.kms_master_key_id",
    ),
    "aws_s3_object": ("kms_key_id",),
    "aws_scheduler_schedule": ("kms_key_arn",),
    "aws_secretsmanager_secret": ("kms_key_id",),
    "aws_sfn_state_machine": ("encryption_configuration.kms_key_id",),
    "aws_sns_topic": ("kms_master_key_id",),
    "aws_sqs_queue": ("kms_master_key_id",),
}
# Resource type -> (attribute, resource type it must reference): encrypted through another resource's keys.
ENCRYPTED_THROUGH: dict[str, tuple[str, str]] = {
    "aws_glue_job": ("security_configuration", "aws_glue_security_configuration"),
    "aws_flow_log": ("log_destination", "aws_cloudwatch_log_group"),
    "aws_cloudwatch_log_stream": ("log_group_name", "aws_cloudwatch_log_group"),
}
# Resources (by construct path, after the stack name) that use an AWS-owned key on purpose, and why.
AWS_OWNED_KEY_EXCEPTIONS: dict[str, str] = {
    "lake/access-logs/encryption": (
        "S3 server access logs and load-balancer access logs are delivered only to buckets encrypted with SSE-S3 "
        "(AWS documents SSE-KMS as unsupported for those destinations); the bucket holds request logs, no data."
    ),
    "lake/replica-access-logs/encryption": "The replica region's access-log bucket: as lake/access-logs.",
    "access-logs/encryption": "The delivery account's access-log bucket: as lake/access-logs.",
}
# Resource types with no customer-managed key option, or holding no data at rest, and why.
NO_KEY_OPTION: dict[str, str] = {
    "aws_accessanalyzer_analyzer": "Findings are kept by the service; it offers no key option.",
    "aws_autoscaling_group": "Configuration only; its volumes are encrypted through the launch template.",
    "aws_autoscaling_policy": "Configuration only.",
    "aws_backup_plan": "Configuration only; recovery points live in the vault, under the backup key.",
    "aws_backup_selection": "Configuration only.",
    "aws_cloudwatch_dashboard": "Widget definitions; CloudWatch offers no key option.",
    "aws_cloudwatch_event_rule": (
        "A rule on the default event bus keeps its pattern only; the bus carries AWS service events in transit. "
        "A key on the default bus is an account-wide setting outside the stacks."
    ),
    "aws_cloudwatch_event_target": "Configuration only.",
    "aws_cloudwatch_log_metric_filter": "Configuration only; the log group it reads has the logs key.",
    "aws_cloudwatch_log_resource_policy": "Permissions configuration.",
    "aws_cloudwatch_metric_alarm": "Configuration only; CloudWatch offers no key option.",
    "aws_codestarconnections_connection": "The connection's credentials are held by AWS; no key option.",
    "aws_config_config_rule": "Configuration only; evaluations are delivered through the channel (audit key).",
    "aws_config_configuration_recorder": "Configuration only; records are delivered through the channel.",
    "aws_config_configuration_recorder_status": "A switch.",
    "aws_db_parameter_group": "Configuration only.",
    "aws_db_subnet_group": "Configuration only.",
    "aws_default_security_group": "Network configuration.",
    "aws_eip": "Network configuration.",
    "aws_glue_catalog_database": "Encrypted by the catalog's encryption settings (lake key).",
    "aws_glue_catalog_table": "Encrypted by the catalog's encryption settings (lake key).",
    "aws_glue_connection": "A NETWORK connection without credentials (jobs log in with IAM tokens).",
    "aws_guardduty_detector": "Findings are kept by the service; it offers no key option.",
    "aws_guardduty_detector_feature": "A switch.",
    "aws_iam_instance_profile": "Identity configuration.",
    "aws_iam_role": "Identity configuration.",
    "aws_iam_role_policy": "Identity configuration.",
    "aws_iam_role_policy_attachment": "Identity configuration.",
    "aws_iam_service_linked_role": "Identity configuration.",
    "aws_internet_gateway": "Network configuration.",
    "aws_kms_alias": "A name of a key.",
    "aws_kms_grant": "A permission on a key.",
    "aws_kms_key": "The customer-managed keys themselves.",
    "aws_lakeformation_data_lake_settings": "Permissions configuration.",
    "aws_lakeformation_lf_tag": "Permissions configuration.",
    "aws_lakeformation_permissions": "Permissions configuration.",
    "aws_lakeformation_resource": "Permissions configuration.",
    "aws_lakeformation_resource_lf_tags": "Permissions configuration.",
    "aws_lambda_function_event_invoke_config": "Configuration only; failed events go to the landing-key queue.",
    "aws_lambda_permission": "Permissions configuration.",
    "aws_lb": "Holds no data at rest; its access logs go to the access-log bucket.",
    "aws_lb_listener": "Configuration; its certificate is ACM's.",
    "aws_lb_target_group": "Configuration only.",
    "aws_nat_gateway": "Network configuration.",
    "aws_route": "Network configuration.",
    "aws_route_table": "Network configuration.",
    "aws_route_table_association": "Network configuration.",
    "aws_s3_bucket": "Encrypted by its aws_s3_bucket_server_side_encryption_configuration (checked above).",
    "aws_s3_bucket_lifecycle_configuration": "Configuration only.",
    "aws_s3_bucket_logging": "Configuration only.",
    "aws_s3_bucket_notification": "Configuration only.",
    "aws_s3_bucket_ownership_controls": "Configuration only.",
    "aws_s3_bucket_policy": "Configuration only.",
    "aws_s3_bucket_public_access_block": "Configuration only.",
    "aws_s3_bucket_versioning": "Configuration only.",
    "aws_secretsmanager_secret_policy": "Configuration only.",
    "aws_security_group": "Network configuration.",
    "aws_securityhub_account": "Findings are kept by the service; it offers no key option.",
    "aws_securityhub_standards_subscription": "A switch.",
    "aws_sns_topic_policy": "Configuration only.",
    "aws_sns_topic_subscription": "Configuration only.",
    "aws_ssm_parameter": (
        "A String parameter holding the database's host name, not a secret; only a SecureString takes a key "
        "(ADR 0097; the gate's CKV2_AWS_34 suppression says why it stays a String)."
    ),
    "aws_subnet": "Network configuration.",
    "aws_transfer_server": (
        "Holds no files at rest: uploads are written straight to the lake bucket (lake key); its host key is held "
        "by the service, which offers no key option; its logs go to a logs-key log group."
    ),
    "aws_transfer_ssh_key": "A partner's public key: public by nature.",
    "aws_transfer_user": "Identity configuration: the partner's home folder mapping and role.",
    "aws_vpc": "Network configuration.",
    "aws_vpc_endpoint": "Network configuration.",
    "aws_vpc_security_group_egress_rule": "Network configuration.",
    "aws_vpc_security_group_ingress_rule": "Network configuration.",
    "aws_wafv2_web_acl": "Rules only; WAF offers no key option. Its logs go to a logs-key log group.",
    "aws_wafv2_web_acl_association": "Configuration only.",
    "aws_wafv2_web_acl_logging_configuration": "Configuration only; the destination log group has the logs key.",
}


def _values(body, path: str) -> list:
    """Every value at ``path`` (dotted; lists walked element by element); None where a part is missing."""
    found = [body]
    for part in path.split("."):
        found = [
            item.get(part) if isinstance(item, dict) else None
            for value in found
            for item in (value if isinstance(value, list) else [value])
        ]
    return [item for value in found for item in (value if isinstance(value, list) else [value])]


def _construct_path(stack, body: dict) -> str:
    return body["//"]["metadata"]["path"].removeprefix(f"{stack.name}/")


def customer_managed_key_gaps(stack) -> list[str]:
    """What in ``stack`` is unclassified, or uses no (or another than its own) customer-managed key."""
    keys = set(stack.resources("aws_kms_key"))
    gaps = []
    for resource_type, _, body in stack.all_resources():
        where = f"{resource_type}.{_construct_path(stack, body)}"
        if resource_type in KEY_ATTRIBUTES:
            if _construct_path(stack, body) in AWS_OWNED_KEY_EXCEPTIONS:
                continue
            for path in KEY_ATTRIBUTES[resource_type]:
                for value in _values(body, path):
                    target = referenced(value) if value else None
                    if not target or target[0] != "aws_kms_key" or target[1] not in keys:
                        gaps.append(f"{where}: {path} is {value!r}, not a customer-managed key of the stack")
        elif resource_type in ENCRYPTED_THROUGH:
            attribute, through = ENCRYPTED_THROUGH[resource_type]
            target = referenced(body.get(attribute, ""))
            if not target or target[0] != through:
                gaps.append(f"{where}: {attribute} names no {through}, so nothing encrypts it with a stack key")
        elif resource_type not in NO_KEY_OPTION:
            gaps.append(f"{where}: an unclassified resource type; add it to KEY_ATTRIBUTES or NO_KEY_OPTION")
    return gaps


def test_every_resource_that_takes_a_customer_managed_key_uses_one_of_the_stacks_keys(any_stack):
    assert customer_managed_key_gaps(any_stack) == []


def test_the_check_names_a_resource_on_an_aws_owned_key_and_a_resource_type_nobody_classified(stack):
    """The check above can fail: a state machine on AWS's own key and a new kind of resource are both caught."""
    (machine_name, machine) = next(iter(stack.resources("aws_sfn_state_machine").items()))
    on_aws_key = {**machine, "encryption_configuration": {"type": "AWS_OWNED_KEY"}}
    resources = {
        **stack.config["resource"],
        "aws_sfn_state_machine": {machine_name: on_aws_key},
        "aws_dynamodb_table": {"table": {"//": machine["//"]}},
    }
    altered = type(stack)(stack.name, stack.path, {**stack.config, "resource": resources})
    gaps = customer_managed_key_gaps(altered)
    assert any(
        gap.startswith("aws_sfn_state_machine.") and "encryption_configuration.kms_key_id" in gap for gap in gaps
    )
    assert any(gap.startswith("aws_dynamodb_table.") and "unclassified" in gap for gap in gaps)


def test_every_aws_owned_key_exception_still_names_a_resource_of_the_stacks(synthesized):
    paths = {_construct_path(stack, body) for stack in synthesized.values() for _, _, body in stack.all_resources()}
    assert set(AWS_OWNED_KEY_EXCEPTIONS) <= paths
