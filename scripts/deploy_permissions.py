"""What the deploy role may do: per Terraform resource type, the IAM actions creating, updating and deleting
it need (``DEPLOY_ACTIONS``), beside what refreshing it reads (``scripts.plan_permissions.READ_ACTIONS``), for
the types the account's stacks declare, scoped to the account's names and regions.

Tests read both maps beside the synthesized stacks, both ways: a type a stack declares without its actions
fails, and so does a type no stack declares; the deploy role grows with the stacks instead of drifting into an
administrator, and shrinks with them. Another test checks the documents fit IAM's size limits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from environments import AccountDefinition, DeliveryConfig
from modules.naming import name_prefix
from modules.policy import Statement
from scripts.plan_permissions import (
    DATA_SOURCE_READS,
    DELIVERY_ONLY_TYPES,
    DELIVERY_SCOPE,
    RESOURCELESS_ACTIONS,
    AccountScope,
    arn,
    artifact_objects,
    key_arns,
    pack_documents,
    read_statements,
    regions,
    scoped,
    state_location,
    state_statements,
)

_TAGS_EC2 = ("ec2:CreateTags", "ec2:DeleteTags")
_S3_BUCKET_SETTING = ("s3:PutBucketTagging",)
# Terraform resource type -> what creating, updating and deleting it takes (reads are READ_ACTIONS).
DEPLOY_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "aws_accessanalyzer_analyzer": (
        "access-analyzer:CreateAnalyzer",
        "access-analyzer:DeleteAnalyzer",
        "access-analyzer:TagResource",
        "access-analyzer:UntagResource",
    ),
    "aws_athena_workgroup": (
        "athena:CreateWorkGroup",
        "athena:DeleteWorkGroup",
        "athena:TagResource",
        "athena:UntagResource",
        "athena:UpdateWorkGroup",
    ),
    "aws_autoscaling_group": (
        "autoscaling:CreateAutoScalingGroup",
        "autoscaling:CreateOrUpdateTags",
        "autoscaling:DeleteAutoScalingGroup",
        "autoscaling:DeleteTags",
        "autoscaling:DisableMetricsCollection",
        "autoscaling:EnableMetricsCollection",
        "autoscaling:StartInstanceRefresh",
        "autoscaling:UpdateAutoScalingGroup",
        "ec2:RunInstances",
    ),
    "aws_autoscaling_policy": ("autoscaling:DeletePolicy", "autoscaling:PutScalingPolicy"),
    "aws_backup_plan": (
        "backup:CreateBackupPlan",
        "backup:DeleteBackupPlan",
        "backup:TagResource",
        "backup:UntagResource",
        "backup:UpdateBackupPlan",
    ),
    "aws_backup_selection": ("backup:CreateBackupSelection", "backup:DeleteBackupSelection"),
    "aws_backup_vault": (
        "backup:CreateBackupVault",
        "backup:DeleteBackupVault",
        "backup-storage:MountCapsule",
        "backup:TagResource",
    ),
    "aws_cloudtrail": (
        "cloudtrail:AddTags",
        "cloudtrail:CreateTrail",
        "cloudtrail:DeleteTrail",
        "cloudtrail:PutEventSelectors",
        "cloudtrail:RemoveTags",
        "cloudtrail:StartLogging",
        "cloudtrail:UpdateTrail",
    ),
    "aws_cloudwatch_dashboard": ("cloudwatch:DeleteDashboards", "cloudwatch:PutDashboard"),
    "aws_cloudwatch_event_rule": (
        "events:DeleteRule",
        "events:PutRule",
        "events:TagResource",
        "events:UntagResource",
    ),
    "aws_cloudwatch_event_target": ("events:PutTargets", "events:RemoveTargets"),
    "aws_cloudwatch_log_group": (
        "logs:AssociateKmsKey",
        "logs:CreateLogGroup",
        "logs:DeleteLogGroup",
        "logs:DeleteRetentionPolicy",
        "logs:DisassociateKmsKey",
        "logs:PutRetentionPolicy",
        "logs:TagResource",
        "logs:UntagResource",
    ),
    "aws_cloudwatch_metric_alarm": (
        "cloudwatch:DeleteAlarms",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:TagResource",
        "cloudwatch:UntagResource",
    ),
    "aws_cloudwatch_log_metric_filter": ("logs:DeleteMetricFilter", "logs:PutMetricFilter"),
    "aws_cloudwatch_log_resource_policy": ("logs:DeleteResourcePolicy", "logs:PutResourcePolicy"),
    "aws_cloudwatch_log_stream": ("logs:CreateLogStream", "logs:DeleteLogStream"),
    "aws_codebuild_project": (
        "codebuild:CreateProject",
        "codebuild:DeleteProject",
        "codebuild:UpdateProject",
    ),
    "aws_codepipeline": (
        # A pipeline whose source is a CodeStar connection may be created only by who may pass it.
        "codestar-connections:PassConnection",
        "codepipeline:CreatePipeline",
        "codepipeline:DeletePipeline",
        "codepipeline:TagResource",
        "codepipeline:UntagResource",
        "codepipeline:UpdatePipeline",
    ),
    "aws_config_config_rule": ("config:DeleteConfigRule", "config:PutConfigRule", "config:TagResource"),
    "aws_config_configuration_recorder": (
        "config:DeleteConfigurationRecorder",
        "config:PutConfigurationRecorder",
    ),
    "aws_config_configuration_recorder_status": (
        "config:StartConfigurationRecorder",
        "config:StopConfigurationRecorder",
    ),
    "aws_config_delivery_channel": ("config:DeleteDeliveryChannel", "config:PutDeliveryChannel"),
    "aws_db_instance": (
        "rds:AddTagsToResource",
        "rds:CreateDBInstance",
        "rds:DeleteDBInstance",
        "rds:ModifyDBInstance",
        "rds:RemoveTagsFromResource",
        # Managed master password: RDS creates the secret on the caller's behalf.
        "secretsmanager:CreateSecret",
        "secretsmanager:RotateSecret",
        "secretsmanager:TagResource",
    ),
    "aws_db_parameter_group": (
        "rds:AddTagsToResource",
        "rds:CreateDBParameterGroup",
        "rds:DeleteDBParameterGroup",
        "rds:ModifyDBParameterGroup",
        "rds:ResetDBParameterGroup",
    ),
    "aws_db_subnet_group": (
        "rds:AddTagsToResource",
        "rds:CreateDBSubnetGroup",
        "rds:DeleteDBSubnetGroup",
        "rds:ModifyDBSubnetGroup",
    ),
    "aws_default_security_group": (
        "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
        *_TAGS_EC2,
    ),
    "aws_eip": ("ec2:AllocateAddress", "ec2:DisassociateAddress", "ec2:ReleaseAddress", *_TAGS_EC2),
    "aws_flow_log": ("ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "logs:CreateLogDelivery", *_TAGS_EC2),
    "aws_glue_catalog_database": (
        "glue:CreateDatabase",
        "glue:DeleteDatabase",
        "glue:TagResource",
        "glue:UntagResource",
        "glue:UpdateDatabase",
    ),
    "aws_glue_catalog_table": ("glue:CreateTable", "glue:DeleteTable", "glue:UpdateTable"),
    "aws_glue_connection": ("glue:CreateConnection", "glue:DeleteConnection", "glue:UpdateConnection"),
    "aws_glue_data_catalog_encryption_settings": ("glue:PutDataCatalogEncryptionSettings",),
    "aws_glue_job": ("glue:CreateJob", "glue:DeleteJob", "glue:TagResource", "glue:UntagResource", "glue:UpdateJob"),
    "aws_glue_security_configuration": (
        "glue:CreateSecurityConfiguration",
        "glue:DeleteSecurityConfiguration",
        "glue:GetSecurityConfiguration",
    ),
    "aws_guardduty_detector": (
        "guardduty:CreateDetector",
        "guardduty:DeleteDetector",
        "guardduty:TagResource",
        "guardduty:UpdateDetector",
    ),
    "aws_guardduty_detector_feature": ("guardduty:UpdateDetector",),
    # IAM resources are granted by _iam_statements, scoped to the environment's names.
    "aws_iam_instance_profile": (),
    "aws_iam_role": (),
    "aws_iam_role_policy": (),
    "aws_iam_role_policy_attachment": (),
    "aws_iam_service_linked_role": (),
    "aws_internet_gateway": (
        "ec2:AttachInternetGateway",
        "ec2:CreateInternetGateway",
        "ec2:DeleteInternetGateway",
        "ec2:DetachInternetGateway",
        *_TAGS_EC2,
    ),
    # KMS resources are granted by _kms_statements.
    "aws_kms_alias": (),
    "aws_kms_grant": (),
    "aws_kms_key": (),
    "aws_kinesis_firehose_delivery_stream": (
        "firehose:CreateDeliveryStream",
        "firehose:DeleteDeliveryStream",
        "firehose:StartDeliveryStreamEncryption",
        "firehose:StopDeliveryStreamEncryption",
        "firehose:TagDeliveryStream",
        "firehose:UntagDeliveryStream",
        "firehose:UpdateDestination",
    ),
    "aws_lambda_function": (
        "lambda:CreateFunction",
        "lambda:DeleteFunction",
        "lambda:DeleteFunctionConcurrency",
        "lambda:PutFunctionConcurrency",
        "lambda:TagResource",
        "lambda:UntagResource",
        "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration",
    ),
    "aws_lambda_function_event_invoke_config": (
        "lambda:DeleteFunctionEventInvokeConfig",
        "lambda:PutFunctionEventInvokeConfig",
        "lambda:UpdateFunctionEventInvokeConfig",
    ),
    "aws_lambda_permission": ("lambda:AddPermission", "lambda:RemovePermission"),
    "aws_lakeformation_data_lake_settings": ("lakeformation:PutDataLakeSettings",),
    "aws_lakeformation_lf_tag": (
        "lakeformation:CreateLFTag",
        "lakeformation:DeleteLFTag",
        "lakeformation:UpdateLFTag",
    ),
    "aws_lakeformation_permissions": (
        "lakeformation:BatchGrantPermissions",
        "lakeformation:BatchRevokePermissions",
        "lakeformation:GrantPermissions",
        "lakeformation:RevokePermissions",
    ),
    "aws_lakeformation_resource": (
        "lakeformation:DeregisterResource",
        "lakeformation:RegisterResource",
        "lakeformation:UpdateResource",
    ),
    "aws_lakeformation_resource_lf_tags": (
        "lakeformation:AddLFTagsToResource",
        "lakeformation:RemoveLFTagsFromResource",
    ),
    "aws_launch_template": (
        "ec2:CreateLaunchTemplate",
        "ec2:CreateLaunchTemplateVersion",
        "ec2:DeleteLaunchTemplate",
        "ec2:ModifyLaunchTemplate",
        "ssm:GetParameters",
        *_TAGS_EC2,
    ),
    "aws_lb": (
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:RemoveTags",
        "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets",
    ),
    "aws_lb_listener": (
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:DeleteListener",
        "elasticloadbalancing:ModifyListener",
    ),
    "aws_lb_target_group": (
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
    ),
    "aws_nat_gateway": ("ec2:CreateNatGateway", "ec2:DeleteNatGateway", *_TAGS_EC2),
    "aws_route": ("ec2:CreateRoute", "ec2:DeleteRoute", "ec2:ReplaceRoute"),
    "aws_route_table": ("ec2:CreateRouteTable", "ec2:DeleteRouteTable", *_TAGS_EC2),
    "aws_route_table_association": (
        "ec2:AssociateRouteTable",
        "ec2:DisassociateRouteTable",
        "ec2:ReplaceRouteTableAssociation",
    ),
    "aws_s3_bucket": (
        "s3:CreateBucket",
        "s3:DeleteBucket",
        # force_destroy in environments that allow data destruction: empty the bucket first.
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:ListBucketVersions",
        *_S3_BUCKET_SETTING,
    ),
    # Objects are granted by _artifact_statements, on the artifacts bucket only.
    "aws_s3_object": (),
    "aws_s3_bucket_lifecycle_configuration": ("s3:PutLifecycleConfiguration",),
    "aws_s3_bucket_logging": ("s3:PutBucketLogging",),
    "aws_s3_bucket_notification": ("s3:PutBucketNotification",),
    "aws_s3_bucket_ownership_controls": ("s3:PutBucketOwnershipControls",),
    "aws_s3_bucket_policy": ("s3:DeleteBucketPolicy", "s3:PutBucketPolicy"),
    "aws_s3_bucket_public_access_block": ("s3:PutBucketPublicAccessBlock",),
    "aws_s3_bucket_replication_configuration": ("s3:PutReplicationConfiguration",),
    "aws_s3_bucket_server_side_encryption_configuration": ("s3:PutEncryptionConfiguration",),
    "aws_s3_bucket_versioning": ("s3:PutBucketVersioning",),
    "aws_scheduler_schedule": ("scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:UpdateSchedule"),
    "aws_secretsmanager_secret": (
        "secretsmanager:CreateSecret",
        "secretsmanager:DeleteSecret",
        "secretsmanager:TagResource",
        "secretsmanager:UntagResource",
        "secretsmanager:UpdateSecret",
    ),
    "aws_secretsmanager_secret_policy": (
        "secretsmanager:DeleteResourcePolicy",
        "secretsmanager:PutResourcePolicy",
        "secretsmanager:ValidateResourcePolicy",
    ),
    "aws_security_group": (
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateSecurityGroup",
        "ec2:DeleteSecurityGroup",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
        "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
        *_TAGS_EC2,
    ),
    "aws_securityhub_account": (
        "securityhub:DisableSecurityHub",
        "securityhub:EnableSecurityHub",
        "securityhub:UpdateSecurityHubConfiguration",
    ),
    "aws_securityhub_standards_subscription": ("securityhub:BatchDisableStandards", "securityhub:BatchEnableStandards"),
    # A state machine logging to CloudWatch Logs: its creator sets up the log delivery.
    "aws_sfn_state_machine": (
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
        "states:CreateStateMachine",
        "states:DeleteStateMachine",
        "states:TagResource",
        "states:UntagResource",
        "states:UpdateStateMachine",
    ),
    "aws_sns_topic": (
        "sns:CreateTopic",
        "sns:DeleteTopic",
        "sns:SetTopicAttributes",
        "sns:TagResource",
        "sns:UntagResource",
    ),
    "aws_sns_topic_policy": ("sns:SetTopicAttributes",),
    "aws_sns_topic_subscription": ("sns:SetSubscriptionAttributes", "sns:Subscribe", "sns:Unsubscribe"),
    "aws_sqs_queue": ("sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"),
    "aws_ssm_parameter": (
        "ssm:AddTagsToResource",
        "ssm:DeleteParameter",
        "ssm:PutParameter",
        "ssm:RemoveTagsFromResource",
    ),
    "aws_subnet": ("ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute", *_TAGS_EC2),
    # An SFTP server's VPC endpoint and Elastic IPs, and its structured log delivery, are set up as the caller.
    "aws_transfer_server": (
        "ec2:AssociateAddress",
        "ec2:CreateVpcEndpoint",
        "ec2:DeleteVpcEndpoints",
        "ec2:DisassociateAddress",
        "ec2:ModifyVpcEndpoint",
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:UpdateLogDelivery",
        "transfer:CreateServer",
        "transfer:DeleteServer",
        "transfer:StartServer",
        "transfer:StopServer",
        "transfer:TagResource",
        "transfer:UntagResource",
        "transfer:UpdateServer",
    ),
    "aws_transfer_ssh_key": ("transfer:DeleteSshPublicKey", "transfer:ImportSshPublicKey"),
    "aws_transfer_user": (
        "transfer:CreateUser",
        "transfer:DeleteUser",
        "transfer:TagResource",
        "transfer:UntagResource",
        "transfer:UpdateUser",
    ),
    "aws_vpc": ("ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute", *_TAGS_EC2),
    "aws_vpc_endpoint": ("ec2:CreateVpcEndpoint", "ec2:DeleteVpcEndpoints", "ec2:ModifyVpcEndpoint", *_TAGS_EC2),
    "aws_vpc_security_group_egress_rule": (
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:ModifySecurityGroupRules",
        "ec2:RevokeSecurityGroupEgress",
        *_TAGS_EC2,
    ),
    "aws_vpc_security_group_ingress_rule": (
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:ModifySecurityGroupRules",
        "ec2:RevokeSecurityGroupIngress",
        *_TAGS_EC2,
    ),
    "aws_wafv2_web_acl": (
        "wafv2:CreateWebACL",
        "wafv2:DeleteWebACL",
        "wafv2:TagResource",
        "wafv2:UntagResource",
        "wafv2:UpdateWebACL",
    ),
    "aws_wafv2_web_acl_association": (
        "elasticloadbalancing:SetWebAcl",
        "wafv2:AssociateWebACL",
        "wafv2:DisassociateWebACL",
    ),
    # WAF writes the log group's resource policy for its log delivery on the caller's behalf.
    "aws_wafv2_web_acl_logging_configuration": (
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:PutResourcePolicy",
        "wafv2:DeleteLoggingConfiguration",
        "wafv2:PutLoggingConfiguration",
    ),
}
# Services whose resources the deploy role may create in any name of the environment's region (no
# data-bearing API among them); IAM, KMS, S3, Glue and Secrets Manager are scoped by name below.
REGIONAL_SERVICES = (
    "access-analyzer",
    "athena",
    "autoscaling",
    "backup",
    "backup-storage",
    "cloudtrail",
    "cloudwatch",
    "codebuild",
    "codepipeline",
    "codestar-connections",
    "config",
    "ec2",
    "elasticloadbalancing",
    "events",
    "firehose",
    "guardduty",
    "lambda",
    "lakeformation",
    "logs",
    "rds",
    "scheduler",
    "securityhub",
    "sns",
    "sqs",
    "states",
    "transfer",
    "wafv2",
)
# Service-linked roles AWS creates when the deploy role enables the service.
SERVICE_LINKED_ROLE_SERVICES = (
    "access-analyzer.amazonaws.com",
    "autoscaling.amazonaws.com",
    "backup.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "guardduty.amazonaws.com",
    "lakeformation.amazonaws.com",
    "rds.amazonaws.com",
    "securityhub.amazonaws.com",
)
# Services the stacks' roles are handed to (iam:PassRole).
PASSED_TO_SERVICES = (
    "backup.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "ec2.amazonaws.com",
    "firehose.amazonaws.com",
    "glue.amazonaws.com",
    "lakeformation.amazonaws.com",
    "lambda.amazonaws.com",
    "monitoring.rds.amazonaws.com",
    "s3.amazonaws.com",
    "scheduler.amazonaws.com",
    "states.amazonaws.com",
    "transfer.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
)
# Services through which the deploy role uses the keys while creating resources encrypted with them (RDS,
# Secrets Manager, AWS Backup, Glue, EC2, Firehose and Lambda create grants or data keys on the caller's behalf; Step
# Functions and EventBridge Scheduler encrypt a state machine's definition and a schedule's payload as the caller).
KEY_USE_VIA_SERVICES = (
    "backup",
    "ec2",
    "firehose",
    "glue",
    "lambda",
    "rds",
    "s3",
    "scheduler",
    "secretsmanager",
    "states",
)
KEY_ADMINISTRATION = (
    "kms:CancelKeyDeletion",
    "kms:CreateGrant",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateKeyDescription",
)
# Attaching a managed policy is granted apart, for the AWS-managed policies the stacks use only.
IAM_ROLE_WRITES = (
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)
IAM_PROFILE_WRITES = (
    "iam:AddRoleToInstanceProfile",
    "iam:CreateInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:TagInstanceProfile",
)
# AWS-managed policies the stacks attach (modules/backup, modules/database); nothing else may be attached.
ATTACHABLE_MANAGED_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
)


# An environment account's stack: every type of the maps but the delivery account's own.
ENVIRONMENT_SCOPE = AccountScope(
    resource_types=frozenset(DEPLOY_ACTIONS) - DELIVERY_ONLY_TYPES,
    data_source_types=frozenset(DATA_SOURCE_READS) - DELIVERY_ONLY_TYPES,
    passed_to_services=PASSED_TO_SERVICES,
    service_linked_role_services=SERVICE_LINKED_ROLE_SERVICES,
    attachable_managed_policies=ATTACHABLE_MANAGED_POLICIES,
    key_use_via_services=KEY_USE_VIA_SERVICES,
)


def account_scope(account: AccountDefinition) -> AccountScope:
    """What the account's stacks declare: the delivery stack, or an environment's."""
    return DELIVERY_SCOPE if isinstance(account, DeliveryConfig) else ENVIRONMENT_SCOPE


def _kms_statements(account: AccountDefinition, scope: AccountScope) -> list[Statement]:
    prefix = name_prefix(account.name)
    keys = key_arns(account)
    statements = [
        Statement(sid="CreateKeys", actions=("kms:CreateKey",), resources=("*",)),
        Statement(sid="AdministerKeysTheKeyPoliciesAdmitUsFor", actions=KEY_ADMINISTRATION, resources=keys),
        Statement(
            sid="NameKeysUnderTheAccountsAliases",
            actions=("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
            resources=(*keys, *(arn(account, "kms", f"alias/{prefix}-*", region) for region in regions(account))),
        ),
    ]
    if scope.key_use_via_services:
        statements.append(
            Statement(
                sid="UseKeysThroughTheServicesCreatingEncryptedResources",
                actions=("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"),
                resources=keys,
                conditions={
                    "StringLike": {
                        "kms:ViaService": [
                            f"{service}.{region}.amazonaws.com"
                            for service in scope.key_use_via_services
                            for region in regions(account)
                        ]
                    }
                },
            )
        )
    return statements


def _iam_statements(account: AccountDefinition, scope: AccountScope) -> list[Statement]:
    prefix = name_prefix(account.name)
    account_id = account.account_id
    roles = f"arn:aws:iam::{account_id}:role/{prefix}-*"
    boundary = {"StringEquals": {"iam:PermissionsBoundary": account.permissions_boundary_arn}}
    statements = [
        # A role may be created, or its boundary set, only with the workload boundary: the deploy role cannot
        # create a role more powerful than the boundary, and cannot touch the boundary itself.
        Statement(
            sid="CreateRolesOnlyWithTheBoundary",
            actions=("iam:CreateRole", "iam:PutRolePermissionsBoundary"),
            resources=(roles,),
            conditions=boundary,
        ),
        Statement(sid="ManageTheAccountsRoles", actions=IAM_ROLE_WRITES, resources=(roles,)),
        Statement(
            sid="PassTheAccountsRolesToItsServices",
            actions=("iam:PassRole",),
            resources=(roles,),
            conditions={"StringEquals": {"iam:PassedToService": list(scope.passed_to_services)}},
        ),
    ]
    if scope.attachable_managed_policies:
        statements.append(
            Statement(
                sid="AttachOnlyTheAwsManagedPoliciesTheStacksUse",
                actions=("iam:AttachRolePolicy", "iam:DetachRolePolicy"),
                resources=(roles,),
                conditions={"ArnEquals": {"iam:PolicyARN": list(scope.attachable_managed_policies)}},
            )
        )
    if "aws_iam_instance_profile" in scope.resource_types:
        statements.append(
            Statement(
                sid="ManageTheAccountsInstanceProfiles",
                actions=IAM_PROFILE_WRITES,
                resources=(f"arn:aws:iam::{account_id}:instance-profile/{prefix}-*",),
            )
        )
    if "aws_config_configuration_recorder" in scope.resource_types:
        statements.append(
            Statement(
                sid="PassConfigItsServiceLinkedRole",
                actions=("iam:PassRole",),
                resources=(
                    f"arn:aws:iam::{account_id}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
                ),
            )
        )
    if scope.service_linked_role_services:
        statements.append(
            Statement(
                sid="CreateServiceLinkedRolesOfTheServicesUsed",
                actions=("iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:UpdateRoleDescription"),
                resources=(f"arn:aws:iam::{account_id}:role/aws-service-role/*",),
                conditions={"StringEquals": {"iam:AWSServiceName": list(scope.service_linked_role_services)}},
            )
        )
    return statements


def bootstrap_identity_arns(account: AccountDefinition) -> list[str]:
    """What the account bootstrap owns in IAM: its roles, their policies and boundaries, the workload boundary
    and the identity provider."""
    account_id = account.account_id
    return [
        account.deploy_role_arn,
        account.plan_role_arn,
        account.break_glass_role_arn,
        account.permissions_boundary_arn,
        f"arn:aws:iam::{account_id}:policy/{account.deploy_role_name}-*",
        f"arn:aws:iam::{account_id}:policy/{account.plan_role_name}-*",
        account.saml_provider_arn,
    ]


# What the deploy role may never do to the state bucket, although it reads and writes its stack's state there.
STATE_BUCKET_CHANGES = (
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutBucket*",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
    "s3:PutReplicationConfiguration",
)


def _deny_statements(account: AccountDefinition) -> list[Statement]:
    """What the deploy role may never do, whatever else it is allowed: change the account bootstrap's own
    identities and boundaries, remove a boundary, assume another role, change the state bucket."""
    state = state_location(account)
    return [
        Statement(
            sid="NeverTheAccountBootstrapsIdentities",
            effect="Deny",
            actions=("iam:*",),
            resources=tuple(bootstrap_identity_arns(account)),
        ),
        Statement(
            sid="NeverRemoveABoundary",
            effect="Deny",
            actions=("iam:DeleteRolePermissionsBoundary",),
            resources=("*",),
        ),
        Statement(sid="NeverAssumeARole", effect="Deny", actions=("sts:AssumeRole*",), resources=("*",)),
        Statement(
            sid="NeverChangeTheStateBucket",
            effect="Deny",
            actions=STATE_BUCKET_CHANGES,
            resources=(state.bucket_arn, f"{state.bucket_arn}/*"),
        ),
    ]


def deploy_statements(account: AccountDefinition) -> list[Statement]:
    """Every statement of the deploy role: the refresh reads, the writes of every resource type its account's
    stacks declare, IAM and KMS scoped to the account, its stack's state, and the denies."""
    scope = account_scope(account)
    by_service: dict[str, set[str]] = defaultdict(set)
    for resource_type in sorted(scope.resource_types):
        for action in DEPLOY_ACTIONS[resource_type]:
            by_service[action.split(":", 1)[0]].add(action)
    in_regions = {"StringEquals": {"aws:RequestedRegion": regions(account)}}
    statements = read_statements(account, scope)
    if "aws_s3_object" in scope.resource_types:
        statements.append(
            Statement(
                sid="UploadTheStacksArtifacts",
                actions=("s3:PutObject", "s3:PutObjectTagging"),
                resources=(artifact_objects(account),),
            )
        )
    resourceless = tuple(sorted(a for s in by_service.values() for a in s if a in RESOURCELESS_ACTIONS))
    if resourceless:
        statements.append(Statement(sid="DeployOnNoResource", actions=resourceless, resources=("*",)))
    for service in sorted(by_service):
        actions = tuple(sorted(by_service[service] - set(RESOURCELESS_ACTIONS)))
        if not actions:
            continue
        sid = "Deploy" + "".join(part.capitalize() for part in service.replace("-", " ").split())
        if service in REGIONAL_SERVICES:
            statements.append(Statement(sid=sid, actions=actions, resources=("*",), conditions=in_regions))
        else:
            statements.append(Statement(sid=sid, actions=actions, resources=tuple(scoped(account, service))))
    return [
        *statements,
        *_kms_statements(account, scope),
        *_iam_statements(account, scope),
        *state_statements(account, write=True),
        *_deny_statements(account),
    ]


def deploy_policy_documents(account: AccountDefinition) -> list[str]:
    """The deploy role's statements packed into as few managed policies as IAM's size limit allows."""
    return pack_documents(deploy_statements(account))
