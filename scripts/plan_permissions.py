"""What Terraform reads in an account, and the read-only plan role built from it.

Per Terraform resource type, ``READ_ACTIONS`` lists what refreshing a resource of that type calls (the AWS
provider's read of it); ``DATA_SOURCE_READS`` the same per data source type. Both Terraform roles of an account
hold the reads of the types its stacks declare (``AccountScope``): the plan role nothing more than those reads
and its stack's state, the deploy role those reads and the writes of ``scripts.deploy_permissions``. Tests read
these maps beside the synthesized stacks, both ways: a type a stack declares without its reads fails, and so
does a type no stack declares.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from environments import AccountDefinition, EnvironmentConfig
from modules.naming import name_prefix
from modules.policy import Statement

# IAM's limit on a customer-managed policy document, in characters without whitespace.
MANAGED_POLICY_MAX_CHARS = 6144
# IAM's default quota of managed policies attached to one role.
MANAGED_POLICIES_PER_ROLE = 10
# What the provider itself calls before any resource: the account its credentials are in (allowed_account_ids).
PROVIDER_READS = ("sts:GetCallerIdentity",)
_EC2_TAGS = "ec2:DescribeTags"
_RDS_TAGS = "rds:ListTagsForResource"
_ELB_TAGS = "elasticloadbalancing:DescribeTags"
# Terraform resource type -> what the AWS provider reads to refresh it (none returns data, secrets or key material).
READ_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "aws_accessanalyzer_analyzer": ("access-analyzer:GetAnalyzer", "access-analyzer:ListTagsForResource"),
    "aws_athena_workgroup": ("athena:GetWorkGroup", "athena:ListTagsForResource"),
    "aws_autoscaling_group": (
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeInstanceRefreshes",
        "autoscaling:DescribeLoadBalancerTargetGroups",
        "autoscaling:DescribeLoadBalancers",
        "autoscaling:DescribeScalingActivities",
        "autoscaling:DescribeTrafficSources",
        "autoscaling:DescribeWarmPool",
    ),
    "aws_autoscaling_policy": ("autoscaling:DescribePolicies",),
    "aws_backup_plan": ("backup:GetBackupPlan", "backup:ListTags"),
    "aws_backup_selection": ("backup:GetBackupSelection",),
    "aws_backup_vault": ("backup:DescribeBackupVault", "backup:GetBackupVaultAccessPolicy", "backup:ListTags"),
    "aws_cloudtrail": (
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:GetInsightSelectors",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:ListTags",
    ),
    "aws_cloudwatch_dashboard": ("cloudwatch:GetDashboard",),
    "aws_cloudwatch_event_rule": ("events:DescribeRule", "events:ListTagsForResource"),
    "aws_cloudwatch_event_target": ("events:ListTargetsByRule",),
    "aws_cloudwatch_log_group": ("logs:DescribeLogGroups", "logs:ListTagsForResource"),
    "aws_cloudwatch_log_metric_filter": ("logs:DescribeMetricFilters",),
    "aws_cloudwatch_log_resource_policy": ("logs:DescribeResourcePolicies",),
    "aws_cloudwatch_log_stream": ("logs:DescribeLogStreams",),
    "aws_cloudwatch_metric_alarm": ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
    "aws_codebuild_project": ("codebuild:BatchGetProjects",),
    "aws_codepipeline": ("codepipeline:GetPipeline", "codepipeline:ListTagsForResource"),
    "aws_config_config_rule": ("config:DescribeConfigRules", "config:ListTagsForResource"),
    "aws_config_configuration_recorder": ("config:DescribeConfigurationRecorders",),
    "aws_config_configuration_recorder_status": ("config:DescribeConfigurationRecorderStatus",),
    "aws_config_delivery_channel": ("config:DescribeDeliveryChannels",),
    "aws_db_instance": ("rds:DescribeDBInstances", _RDS_TAGS),
    "aws_db_parameter_group": ("rds:DescribeDBParameterGroups", "rds:DescribeDBParameters", _RDS_TAGS),
    "aws_db_subnet_group": ("rds:DescribeDBSubnetGroups", _RDS_TAGS),
    "aws_default_security_group": ("ec2:DescribeSecurityGroups",),
    "aws_eip": ("ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute"),
    "aws_flow_log": ("ec2:DescribeFlowLogs",),
    "aws_glue_catalog_database": ("glue:GetDatabase", "glue:GetTags"),
    "aws_glue_catalog_table": ("glue:GetPartitionIndexes", "glue:GetTable"),
    "aws_glue_connection": ("glue:GetConnection", "glue:GetTags"),
    "aws_glue_data_catalog_encryption_settings": ("glue:GetDataCatalogEncryptionSettings",),
    "aws_glue_job": ("glue:GetJob", "glue:GetTags"),
    "aws_glue_security_configuration": ("glue:GetSecurityConfiguration",),
    "aws_guardduty_detector": ("guardduty:GetDetector", "guardduty:ListTagsForResource"),
    "aws_guardduty_detector_feature": ("guardduty:GetDetector",),
    "aws_iam_instance_profile": ("iam:GetInstanceProfile",),
    "aws_iam_role": ("iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"),
    "aws_iam_role_policy": ("iam:GetRolePolicy",),
    "aws_iam_role_policy_attachment": ("iam:ListAttachedRolePolicies",),
    "aws_iam_service_linked_role": ("iam:GetRole",),
    "aws_internet_gateway": ("ec2:DescribeInternetGateways",),
    "aws_kinesis_firehose_delivery_stream": ("firehose:DescribeDeliveryStream", "firehose:ListTagsForDeliveryStream"),
    "aws_kms_alias": ("kms:ListAliases",),
    "aws_kms_grant": ("kms:ListGrants",),
    "aws_kms_key": ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"),
    "aws_lambda_function": (
        "lambda:GetFunction",
        "lambda:GetFunctionCodeSigningConfig",
        "lambda:GetFunctionConcurrency",
        "lambda:GetFunctionConfiguration",
        "lambda:ListTags",
        "lambda:ListVersionsByFunction",
    ),
    "aws_lambda_function_event_invoke_config": ("lambda:GetFunctionEventInvokeConfig",),
    "aws_lambda_permission": ("lambda:GetPolicy",),
    "aws_lakeformation_data_lake_settings": ("lakeformation:GetDataLakeSettings",),
    "aws_lakeformation_lf_tag": ("lakeformation:GetLFTag",),
    "aws_lakeformation_permissions": ("lakeformation:ListPermissions",),
    "aws_lakeformation_resource": ("lakeformation:DescribeResource",),
    "aws_lakeformation_resource_lf_tags": ("lakeformation:GetResourceLFTags",),
    "aws_launch_template": ("ec2:DescribeLaunchTemplateVersions", "ec2:DescribeLaunchTemplates"),
    "aws_lb": (
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancers",
        _ELB_TAGS,
    ),
    "aws_lb_listener": (
        "elasticloadbalancing:DescribeListenerAttributes",
        "elasticloadbalancing:DescribeListeners",
        _ELB_TAGS,
    ),
    "aws_lb_target_group": (
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetGroups",
        _ELB_TAGS,
    ),
    "aws_nat_gateway": ("ec2:DescribeNatGateways",),
    "aws_route": ("ec2:DescribeRouteTables",),
    "aws_route_table": ("ec2:DescribeRouteTables",),
    "aws_route_table_association": ("ec2:DescribeRouteTables",),
    "aws_s3_bucket": (
        "s3:GetAccelerateConfiguration",
        "s3:GetBucketAcl",
        "s3:GetBucketCORS",
        "s3:GetBucketLogging",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetBucketPolicy",
        "s3:GetBucketRequestPayment",
        "s3:GetBucketTagging",
        "s3:GetBucketVersioning",
        "s3:GetBucketWebsite",
        "s3:GetEncryptionConfiguration",
        "s3:GetLifecycleConfiguration",
        "s3:GetReplicationConfiguration",
        "s3:ListBucket",
    ),
    "aws_s3_bucket_lifecycle_configuration": ("s3:GetLifecycleConfiguration",),
    "aws_s3_bucket_logging": ("s3:GetBucketLogging",),
    "aws_s3_bucket_notification": ("s3:GetBucketNotification",),
    "aws_s3_bucket_ownership_controls": ("s3:GetBucketOwnershipControls",),
    "aws_s3_bucket_policy": ("s3:GetBucketPolicy",),
    "aws_s3_bucket_public_access_block": ("s3:GetBucketPublicAccessBlock",),
    "aws_s3_bucket_replication_configuration": ("s3:GetReplicationConfiguration",),
    "aws_s3_bucket_server_side_encryption_configuration": ("s3:GetEncryptionConfiguration",),
    "aws_s3_bucket_versioning": ("s3:GetBucketVersioning",),
    # HeadObject is authorized as s3:GetObject; granted on the artifacts bucket's objects only (``_scoped_reads``).
    "aws_s3_object": ("s3:GetObject", "s3:GetObjectTagging"),
    "aws_scheduler_schedule": ("scheduler:GetSchedule",),
    "aws_secretsmanager_secret": ("secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"),
    "aws_secretsmanager_secret_policy": ("secretsmanager:GetResourcePolicy",),
    "aws_security_group": ("ec2:DescribeSecurityGroups",),
    "aws_securityhub_account": ("securityhub:DescribeHub",),
    "aws_securityhub_standards_subscription": ("securityhub:GetEnabledStandards",),
    "aws_sfn_state_machine": ("states:DescribeStateMachine", "states:ListTagsForResource"),
    "aws_sns_topic": ("sns:GetTopicAttributes", "sns:ListTagsForResource"),
    "aws_sns_topic_policy": ("sns:GetTopicAttributes",),
    "aws_sns_topic_subscription": ("sns:GetSubscriptionAttributes",),
    "aws_sqs_queue": ("sqs:GetQueueAttributes", "sqs:ListQueueTags"),
    "aws_ssm_parameter": ("ssm:DescribeParameters", "ssm:GetParameter", "ssm:ListTagsForResource"),
    "aws_subnet": ("ec2:DescribeSubnets",),
    # The provider also reads the server's VPC endpoint (its addresses).
    "aws_transfer_server": ("ec2:DescribeVpcEndpoints", "transfer:DescribeServer", "transfer:ListTagsForResource"),
    "aws_transfer_ssh_key": ("transfer:DescribeUser",),
    "aws_transfer_user": ("transfer:DescribeUser", "transfer:ListTagsForResource"),
    # The provider also reads the VPC's default security group, network ACL and main route table.
    "aws_vpc": (
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcAttribute",
        "ec2:DescribeVpcs",
    ),
    "aws_vpc_endpoint": ("ec2:DescribePrefixLists", "ec2:DescribeVpcEndpoints"),
    "aws_vpc_security_group_egress_rule": ("ec2:DescribeSecurityGroupRules", _EC2_TAGS),
    "aws_vpc_security_group_ingress_rule": ("ec2:DescribeSecurityGroupRules", _EC2_TAGS),
    "aws_wafv2_web_acl": ("wafv2:GetWebACL", "wafv2:ListTagsForResource"),
    "aws_wafv2_web_acl_association": ("wafv2:GetWebACLForResource",),
    "aws_wafv2_web_acl_logging_configuration": ("wafv2:GetLoggingConfiguration",),
}
# Terraform data source type -> what reading it calls.
DATA_SOURCE_READS: Mapping[str, tuple[str, ...]] = {
    "aws_acm_certificate": ("acm:DescribeCertificate", "acm:ListCertificates", "acm:ListTagsForCertificate"),
    # Looked up by name: the provider lists the account's connections.
    "aws_codestarconnections_connection": (
        "codestar-connections:GetConnection",
        "codestar-connections:ListConnections",
        "codestar-connections:ListTagsForResource",
    ),
    "aws_elb_service_account": (),
    "aws_iam_policy": ("iam:GetPolicy", "iam:GetPolicyVersion"),
    "aws_iam_role": ("iam:GetRole",),
    "aws_iam_saml_provider": ("iam:GetSAMLProvider",),
}
# Actions AWS authorizes on no resource (Service Authorization Reference): they can only be granted on "*".
RESOURCELESS_ACTIONS = (
    "codestar-connections:ListConnections",
    "glue:CreateSecurityConfiguration",
    "glue:DeleteSecurityConfiguration",
    "glue:GetSecurityConfiguration",
    "kms:CreateKey",
    "kms:ListAliases",
    "ssm:DescribeParameters",
)
# Services whose resources are data (or hold keys): their reads are granted on the account's names only.
SCOPED_READ_SERVICES = {
    "glue": "Catalog",
    "kms": "Keys",
    "lambda": "Functions",
    "s3": "Buckets",
    "secretsmanager": "Secrets",
    "ssm": "Parameters",
}
OBJECT_READS = ("s3:GetObject", "s3:GetObjectTagging")


@dataclass(frozen=True)
class AccountScope:
    """What one kind of account's stacks declare, so that its Terraform roles reach exactly that.

    Attributes:
        resource_types: the resource types its stacks declare (keys of ``READ_ACTIONS`` and ``DEPLOY_ACTIONS``).
        data_source_types: the data source types its stacks read (keys of ``DATA_SOURCE_READS``).
        passed_to_services: the services its stacks' roles are handed to (``iam:PassRole``).
        service_linked_role_services: the services whose service-linked roles a first apply creates.
        attachable_managed_policies: the AWS-managed policies its stacks attach to their roles.
        key_use_via_services: the services through which the deploy role uses the account's keys while creating
            resources encrypted with them.
    """

    resource_types: frozenset[str]
    data_source_types: frozenset[str]
    passed_to_services: tuple[str, ...]
    service_linked_role_services: tuple[str, ...] = ()
    attachable_managed_policies: tuple[str, ...] = ()
    key_use_via_services: tuple[str, ...] = ()


# The delivery account's stack: the pipeline, its builds and roles, keys, artifact store and alerts.
DELIVERY_SCOPE = AccountScope(
    resource_types=frozenset(
        {
            "aws_cloudwatch_event_rule",
            "aws_cloudwatch_event_target",
            "aws_cloudwatch_log_group",
            "aws_codebuild_project",
            "aws_codepipeline",
            "aws_iam_role",
            "aws_iam_role_policy",
            "aws_kms_alias",
            "aws_kms_key",
            "aws_s3_bucket",
            "aws_s3_bucket_lifecycle_configuration",
            "aws_s3_bucket_logging",
            "aws_s3_bucket_notification",
            "aws_s3_bucket_ownership_controls",
            "aws_s3_bucket_policy",
            "aws_s3_bucket_public_access_block",
            "aws_s3_bucket_server_side_encryption_configuration",
            "aws_s3_bucket_versioning",
            "aws_sns_topic",
            "aws_sns_topic_policy",
            "aws_sns_topic_subscription",
        }
    ),
    data_source_types=frozenset({"aws_codestarconnections_connection", "aws_iam_policy"}),
    passed_to_services=("codebuild.amazonaws.com", "codepipeline.amazonaws.com"),
    key_use_via_services=("s3",),
)
# Types only the delivery account's stack declares; every other type of the maps is an environment stack's.
DELIVERY_ONLY_TYPES = frozenset({"aws_codebuild_project", "aws_codepipeline", "aws_codestarconnections_connection"})


def arn(account: AccountDefinition, service: str, resource: str, region: str | None = None) -> str:
    return f"arn:aws:{service}:{region if region is not None else account.region}:{account.account_id}:{resource}"


def regions(account: AccountDefinition) -> list[str]:
    """The regions the account's stack deploys to: its own, and the lake replica's when an environment
    replicates."""
    found = [account.region]
    if isinstance(account, EnvironmentConfig) and account.data_lake.replicate_critical_zones:
        found.append(account.data_lake.replica_region)
    return found


def account_buckets(account: AccountDefinition) -> list[str]:
    """The account's buckets by name: ``northwind-<name>-*``, and an environment's lake."""
    buckets = [f"arn:aws:s3:::{name_prefix(account.name)}-*"]
    if isinstance(account, EnvironmentConfig):
        buckets.append(f"arn:aws:s3:::northwind-data-lake-{account.name}-*")
    return buckets


def key_arns(account: AccountDefinition) -> tuple[str, ...]:
    """Every key of the account in the regions its stack deploys to."""
    return tuple(arn(account, "kms", "key/*", region) for region in regions(account))


def scoped(account: AccountDefinition, service: str) -> list[str]:
    """The account's resources of a data service, by name."""
    prefix = name_prefix(account.name)
    database = prefix.replace("-", "_")
    if service == "s3":
        return [*account_buckets(account), *(f"{bucket}/*" for bucket in account_buckets(account))]
    if service == "glue":
        return [
            arn(account, "glue", "catalog"),
            arn(account, "glue", f"database/{database}_*"),
            arn(account, "glue", f"table/{database}_*/*"),
            arn(account, "glue", f"connection/{prefix}-*"),
            arn(account, "glue", f"job/{prefix}-*"),
            arn(account, "glue", f"workflow/{prefix}-*"),
            arn(account, "glue", f"trigger/{prefix}-*"),
        ]
    if service == "secretsmanager":
        return [arn(account, "secretsmanager", "secret:rds!*"), arn(account, "secretsmanager", f"secret:{prefix}/*")]
    if service == "kms":
        return list(key_arns(account))
    if service == "lambda":
        # Reading a function returns a link to its code: the account's functions only.
        return [arn(account, "lambda", f"function:{prefix}-*")]
    if service == "ssm":
        # Parameter names start with a slash, which the ARN drops: /northwind-dev-serving/address.
        return [arn(account, "ssm", f"parameter/{prefix}-*")]
    raise KeyError(f"no name scope for {service}")


def artifact_objects(account: AccountDefinition) -> str:
    """The objects the stack uploads (job scripts, wheels): an environment's artifacts bucket."""
    return f"arn:aws:s3:::{name_prefix(account.name)}-lake-artifacts-{account.account_id}/*"


def refresh_reads(scope: AccountScope) -> set[str]:
    """Everything refreshing the account's stack reads: the provider's own calls, every resource and data source
    type's reads."""
    reads = set(PROVIDER_READS)
    for resource_type in scope.resource_types:
        reads |= set(READ_ACTIONS[resource_type])
    for data_type in scope.data_source_types:
        reads |= set(DATA_SOURCE_READS[data_type])
    return reads


def read_statements(account: AccountDefinition, scope: AccountScope) -> list[Statement]:
    """The refresh reads as statements: on every resource where the service has no data, on the account's names
    where it has (buckets, the catalog, secrets, keys), objects in the artifacts bucket only."""
    by_scope: dict[str, set[str]] = defaultdict(set)
    for action in refresh_reads(scope):
        service = action.split(":", 1)[0]
        if action in RESOURCELESS_ACTIONS:
            by_scope["resourceless"].add(action)
        elif action in OBJECT_READS:
            by_scope["objects"].add(action)
        elif service in SCOPED_READ_SERVICES:
            by_scope[service].add(action)
        else:
            by_scope["any"].add(action)
    statements = [Statement(sid="RefreshReads", actions=tuple(sorted(by_scope.pop("any"))), resources=("*",))]
    if "resourceless" in by_scope:
        statements.append(
            Statement(sid="ReadsOnNoResource", actions=tuple(sorted(by_scope.pop("resourceless"))), resources=("*",))
        )
    if "objects" in by_scope:
        statements.append(
            Statement(
                sid="ReadTheStacksArtifacts",
                actions=tuple(sorted(by_scope.pop("objects"))),
                resources=(artifact_objects(account),),
            )
        )
    for service in sorted(by_scope):
        statements.append(
            Statement(
                sid=f"ReadsOfTheAccounts{SCOPED_READ_SERVICES[service]}",
                actions=tuple(sorted(by_scope[service])),
                resources=tuple(scoped(account, service)),
            )
        )
    return statements


@dataclass(frozen=True)
class StateLocation:
    """Where one stack's Terraform state is: the object, its bucket, the lock table and the two items the S3
    backend keeps there (the lock, and the state's checksum)."""

    bucket_arn: str
    object_arn: str
    lock_table_arn: str
    lock_id: str
    digest_id: str
    key_arns: str
    key_alias: str


def state_location(account: AccountDefinition) -> StateLocation:
    state = account.state
    key = f"{state.bucket}/{account.state_object_key}"
    return StateLocation(
        bucket_arn=f"arn:aws:s3:::{state.bucket}",
        object_arn=f"arn:aws:s3:::{key}",
        lock_table_arn=f"arn:aws:dynamodb:{state.region}:{account.account_id}:table/{state.lock_table}",
        lock_id=key,
        digest_id=f"{key}-md5",
        key_arns=f"arn:aws:kms:{state.region}:{account.account_id}:key/*",
        key_alias=state.kms_key_alias,
    )


def state_statements(account: AccountDefinition, *, write: bool) -> list[Statement]:
    """The stack's own state: read it (and with ``write``, write it back), take and release its lock, and use
    the state key only through S3 and DynamoDB, only that key (by its alias)."""
    where = state_location(account)
    region = account.state.region
    key_actions = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey") if write else ("kms:Decrypt",)
    return [
        Statement(sid="ListTheStateBucket", actions=("s3:ListBucket",), resources=(where.bucket_arn,)),
        Statement(
            sid="WriteTheStacksState" if write else "ReadTheStacksState",
            actions=("s3:GetObject", "s3:PutObject") if write else ("s3:GetObject",),
            resources=(where.object_arn,),
        ),
        Statement(
            sid="ReadTheStatesChecksum",
            actions=("dynamodb:GetItem",),
            resources=(where.lock_table_arn,),
            conditions={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [where.lock_id, where.digest_id]}},
        ),
        Statement(
            # Terraform takes the lock for a plan too; the plan role writes the lock item and nothing else. The
            # deploy role also writes the checksum item with the state.
            sid="TakeAndReleaseTheStacksLock",
            actions=("dynamodb:DeleteItem", "dynamodb:PutItem"),
            resources=(where.lock_table_arn,),
            conditions={
                "ForAllValues:StringEquals": {
                    "dynamodb:LeadingKeys": [where.lock_id, where.digest_id] if write else [where.lock_id]
                }
            },
        ),
        Statement(
            sid="UseTheStateKeyThroughS3AndDynamoDb",
            actions=key_actions,
            resources=(where.key_arns,),
            conditions={
                "StringEquals": {"kms:ViaService": [f"s3.{region}.amazonaws.com", f"dynamodb.{region}.amazonaws.com"]},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": [where.key_alias]},
            },
        ),
    ]


# What the plan role may never do, whatever a policy attached to it by mistake allows.
PLAN_DENIED_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")
PLAN_DENIED_DATA_READS = (
    "athena:GetQueryResults",
    "athena:GetQueryResultsStream",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "logs:StartQuery",
    "secretsmanager:GetSecretValue",
)


def plan_statements(account: AccountDefinition, scope: AccountScope) -> list[Statement]:
    """The read-only plan role: the refresh reads, its stack's state and lock; never another role, never data."""
    return [
        *read_statements(account, scope),
        *state_statements(account, write=False),
        Statement(sid="NeverAssumeARole", effect="Deny", actions=PLAN_DENIED_ACTIONS, resources=("*",)),
        Statement(sid="NeverReadDataOrSecrets", effect="Deny", actions=PLAN_DENIED_DATA_READS, resources=("*",)),
    ]


def compact(document: dict) -> str:
    return json.dumps(document, separators=(",", ":"))


def pack_documents(statements: Iterable[Statement]) -> list[str]:
    """Statements packed, in order, into as few managed policies as IAM's size limit allows (a Deny in any
    policy of a role applies to all of them)."""
    documents: list[list[dict]] = [[]]
    for statement in statements:
        rendered = statement.render()
        candidate = [*documents[-1], rendered]
        if documents[-1] and len(compact({"Version": "2012-10-17", "Statement": candidate})) > MANAGED_POLICY_MAX_CHARS:
            documents.append([rendered])
        else:
            documents[-1] = candidate
    return [compact({"Version": "2012-10-17", "Statement": statements}) for statements in documents]
