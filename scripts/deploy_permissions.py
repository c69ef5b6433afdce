"""What the deploy role may do: per Terraform resource type, the IAM actions creating, updating and deleting
it need, and what refreshing state and planning read, scoped to the environment's names and regions.

A test fails when a stack declares a resource or data source type missing here, so the deploy role grows with the
stacks instead of drifting into an administrator; another test checks the documents fit IAM's size limits.
``PLAN_READ_ACTIONS`` and ``PLAN_READ_SCOPED_ACTIONS`` are what a read-only plan role would hold.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping

from environments import EnvironmentConfig
from modules.naming import name_prefix
from modules.policy import Statement

# IAM's limit on a customer-managed policy document, in characters without whitespace.
MANAGED_POLICY_MAX_CHARS = 6144
# IAM's default quota of managed policies attached to one role.
MANAGED_POLICIES_PER_ROLE = 10
# Reads that refreshing state and planning make; none returns data (no object, secret or key material).
PLAN_READ_ACTIONS = (
    "access-analyzer:GetAnalyzer",
    "access-analyzer:ListAnalyzers",
    "access-analyzer:ListTagsForResource",
    "acm:DescribeCertificate",
    "acm:ListCertificates",
    "acm:ListTagsForCertificate",
    "athena:GetWorkGroup",
    "athena:ListTagsForResource",
    "autoscaling:Describe*",
    "backup:Describe*",
    "backup:GetBackupPlan",
    "backup:GetBackupSelection",
    "backup:GetBackupVaultAccessPolicy",
    "backup:ListTags",
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetEventSelectors",
    "cloudtrail:GetTrail",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:ListTags",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetDashboard",
    "cloudwatch:ListTagsForResource",
    "codebuild:BatchGetProjects",
    "codepipeline:GetPipeline",
    "codepipeline:ListTagsForResource",
    "codestar-connections:GetConnection",
    "codestar-connections:ListTagsForResource",
    "config:DescribeConfigRules",
    "config:DescribeConfigurationRecorderStatus",
    "config:DescribeConfigurationRecorders",
    "config:DescribeDeliveryChannels",
    "config:ListTagsForResource",
    "ec2:Describe*",
    "ec2:GetLaunchTemplateData",
    "elasticloadbalancing:Describe*",
    "events:DescribeRule",
    "events:ListTagsForResource",
    "events:ListTargetsByRule",
    "firehose:DescribeDeliveryStream",
    "firehose:ListTagsForDeliveryStream",
    "guardduty:GetDetector",
    "guardduty:ListDetectors",
    "guardduty:ListTagsForResource",
    "iam:Get*",
    "iam:List*",
    "kms:ListAliases",
    "lambda:GetFunction",
    "lambda:GetFunctionCodeSigningConfig",
    "lambda:GetFunctionConcurrency",
    "lambda:GetFunctionConfiguration",
    "lambda:GetFunctionEventInvokeConfig",
    "lambda:GetPolicy",
    "lambda:ListTags",
    "lambda:ListVersionsByFunction",
    "lakeformation:DescribeResource",
    "lakeformation:GetDataLakeSettings",
    "lakeformation:GetLFTag",
    "lakeformation:GetResourceLFTags",
    "lakeformation:ListPermissions",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:DescribeMetricFilters",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:DescribeResourcePolicies",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "rds:Describe*",
    "rds:ListTagsForResource",
    "scheduler:GetSchedule",
    "securityhub:DescribeHub",
    "securityhub:DescribeStandardsControls",
    "securityhub:GetEnabledStandards",
    "sns:GetSubscriptionAttributes",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource",
    "sqs:GetQueueAttributes",
    "sqs:ListQueueTags",
    "states:DescribeStateMachine",
    "states:ListTagsForResource",
    "sts:GetCallerIdentity",
    "transfer:DescribeServer",
    "transfer:DescribeUser",
    "transfer:ListTagsForResource",
    "wafv2:GetLoggingConfiguration",
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
    "wafv2:ListTagsForResource",
)
# Reads of key metadata (never key material), on the environment's keys.
PLAN_READ_KEY_ACTIONS = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListResourceTags",
)
# Reads of data services, scoped to the environment's resources in ``_scoped``.
PLAN_READ_SCOPED_ACTIONS = (
    "glue:GetConnection",
    "glue:GetDataCatalogEncryptionSettings",
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:GetJob",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetTags",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucket*",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetResourcePolicy",
)
# What the data sources of the stacks read (covered by the plan reads above).
DATA_SOURCE_READS: Mapping[str, tuple[str, ...]] = {
    "aws_acm_certificate": ("acm:ListCertificates", "acm:DescribeCertificate"),
    "aws_elb_service_account": (),
    "aws_iam_policy": ("iam:GetPolicy", "iam:GetPolicyVersion"),
    "aws_iam_role": ("iam:GetRole",),
    "aws_iam_saml_provider": ("iam:GetSAMLProvider",),
}

_TAGS_EC2 = ("ec2:CreateTags", "ec2:DeleteTags")
_S3_BUCKET_SETTING = ("s3:PutBucketTagging",)
# Terraform resource type -> what creating, updating and deleting it takes (reads are PLAN_READ_ACTIONS).
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
    "aws_codestarconnections_connection": (
        "codestar-connections:CreateConnection",
        "codestar-connections:DeleteConnection",
        "codestar-connections:TagResource",
        "codestar-connections:UntagResource",
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
    "ssm",
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


def _arn(env: EnvironmentConfig, service: str, resource: str, region: str | None = None) -> str:
    return f"arn:aws:{service}:{region if region is not None else env.region}:{env.account_id}:{resource}"


def _regions(env: EnvironmentConfig) -> list[str]:
    """The regions the stack deploys to: its own, and the lake replica's when it replicates."""
    regions = [env.region]
    if env.data_lake.replicate_critical_zones:
        regions.append(env.data_lake.replica_region)
    return regions


def _environment_buckets(env: EnvironmentConfig) -> list[str]:
    prefix = name_prefix(env.name)
    return [f"arn:aws:s3:::{prefix}-*", f"arn:aws:s3:::northwind-data-lake-{env.name}-*"]


def _scoped(env: EnvironmentConfig, service: str) -> list[str]:
    """The environment's resources of a data service, by name."""
    prefix = name_prefix(env.name)
    database = prefix.replace("-", "_")
    if service == "s3":
        return [*_environment_buckets(env), *(f"{bucket}/*" for bucket in _environment_buckets(env))]
    if service == "glue":
        return [
            _arn(env, "glue", "catalog"),
            _arn(env, "glue", f"database/{database}_*"),
            _arn(env, "glue", f"table/{database}_*/*"),
            _arn(env, "glue", f"connection/{prefix}-*"),
            _arn(env, "glue", f"job/{prefix}-*"),
            _arn(env, "glue", f"workflow/{prefix}-*"),
            _arn(env, "glue", f"trigger/{prefix}-*"),
        ]
    if service == "secretsmanager":
        return [_arn(env, "secretsmanager", "secret:rds!*"), _arn(env, "secretsmanager", f"secret:{prefix}/*")]
    raise KeyError(f"no name scope for {service}")


# Actions AWS authorizes on no resource (Service Authorization Reference): they can only be granted on "*".
RESOURCELESS_ACTIONS = (
    "glue:CreateSecurityConfiguration",
    "glue:DeleteSecurityConfiguration",
    "glue:GetSecurityConfiguration",
    "kms:CreateKey",
    "kms:ListAliases",
)


def _artifact_statements(env: EnvironmentConfig) -> list[Statement]:
    """The stacks upload their job scripts and wheels as objects: the deploy role writes and reads those objects
    (Terraform reads an object's metadata back), in the artifacts bucket only; no other object is readable."""
    objects = f"arn:aws:s3:::{name_prefix(env.name)}-lake-artifacts-{env.account_id}/*"
    return [
        Statement(
            sid="UploadTheStacksArtifacts",
            actions=("s3:GetObject", "s3:GetObjectTagging", "s3:PutObject", "s3:PutObjectTagging"),
            resources=(objects,),
        )
    ]


def _kms_statements(env: EnvironmentConfig) -> list[Statement]:
    prefix = name_prefix(env.name)
    regions = _regions(env)
    keys = tuple(_arn(env, "kms", "key/*", region) for region in regions)
    return [
        Statement(sid="CreateKeys", actions=("kms:CreateKey",), resources=("*",)),
        Statement(sid="PlanReadsOfTheEnvironmentsKeys", actions=PLAN_READ_KEY_ACTIONS, resources=keys),
        Statement(sid="AdministerKeysTheKeyPoliciesAdmitUsFor", actions=KEY_ADMINISTRATION, resources=keys),
        Statement(
            sid="NameKeysUnderTheEnvironmentsAliases",
            actions=("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
            resources=(*keys, *(_arn(env, "kms", f"alias/{prefix}-*", region) for region in regions)),
        ),
        Statement(
            sid="UseKeysThroughTheServicesCreatingEncryptedResources",
            actions=("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"),
            resources=keys,
            conditions={
                "StringLike": {
                    "kms:ViaService": [
                        f"{service}.{region}.amazonaws.com" for service in KEY_USE_VIA_SERVICES for region in regions
                    ]
                }
            },
        ),
    ]


def _iam_statements(env: EnvironmentConfig) -> list[Statement]:
    prefix = name_prefix(env.name)
    account = env.account_id
    roles = f"arn:aws:iam::{account}:role/{prefix}-*"
    boundary = {"StringEquals": {"iam:PermissionsBoundary": env.permissions_boundary_arn}}
    return [
        # A role may be created, or its boundary set, only with the workload boundary: the deploy role cannot
        # create a role more powerful than the boundary, and cannot touch the boundary itself.
        Statement(
            sid="CreateRolesOnlyWithTheBoundary",
            actions=("iam:CreateRole", "iam:PutRolePermissionsBoundary"),
            resources=(roles,),
            conditions=boundary,
        ),
        Statement(sid="ManageTheEnvironmentsRoles", actions=IAM_ROLE_WRITES, resources=(roles,)),
        Statement(
            sid="AttachOnlyTheAwsManagedPoliciesTheStacksUse",
            actions=("iam:AttachRolePolicy", "iam:DetachRolePolicy"),
            resources=(roles,),
            conditions={"ArnEquals": {"iam:PolicyARN": list(ATTACHABLE_MANAGED_POLICIES)}},
        ),
        Statement(
            sid="ManageTheEnvironmentsInstanceProfiles",
            actions=IAM_PROFILE_WRITES,
            resources=(f"arn:aws:iam::{account}:instance-profile/{prefix}-*",),
        ),
        Statement(
            sid="PassTheEnvironmentsRolesToItsServices",
            actions=("iam:PassRole",),
            resources=(roles,),
            conditions={"StringEquals": {"iam:PassedToService": list(PASSED_TO_SERVICES)}},
        ),
        Statement(
            sid="PassConfigItsServiceLinkedRole",
            actions=("iam:PassRole",),
            resources=(f"arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",),
        ),
        Statement(
            sid="CreateServiceLinkedRolesOfTheServicesUsed",
            actions=("iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:UpdateRoleDescription"),
            resources=(f"arn:aws:iam::{account}:role/aws-service-role/*",),
            conditions={"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_ROLE_SERVICES)}},
        ),
    ]


def _deny_statements(env: EnvironmentConfig) -> list[Statement]:
    """What the deploy role may never do, whatever else it is allowed: change the account bootstrap's own
    identities and boundary, or touch the Terraform state."""
    account = env.account_id
    bootstrap = [
        f"arn:aws:iam::{account}:role/{env.deploy_role_name}",
        env.break_glass_role_arn,
        env.permissions_boundary_arn,
        f"arn:aws:iam::{account}:policy/{env.deploy_role_name}-*",
        env.saml_provider_arn,
    ]
    return [
        Statement(
            sid="NeverTheAccountBootstrapsIdentities",
            effect="Deny",
            actions=("iam:*",),
            resources=tuple(bootstrap),
        ),
        Statement(
            sid="NeverRemoveABoundary",
            effect="Deny",
            actions=("iam:DeleteRolePermissionsBoundary",),
            resources=("*",),
        ),
        Statement(
            sid="NeverTheTerraformState",
            effect="Deny",
            actions=("s3:*",),
            resources=(f"arn:aws:s3:::{env.state.bucket}", f"arn:aws:s3:::{env.state.bucket}/*"),
        ),
    ]


def deploy_statements(env: EnvironmentConfig) -> list[Statement]:
    """Every statement of the deploy role: plan reads, the writes of every resource type, IAM and KMS scoped to
    the environment, and the denies."""
    by_service: dict[str, set[str]] = defaultdict(set)
    for actions in DEPLOY_ACTIONS.values():
        for action in actions:
            by_service[action.split(":", 1)[0]].add(action)
    in_regions = {"StringEquals": {"aws:RequestedRegion": _regions(env)}}
    statements = [
        Statement(sid="PlanReads", actions=PLAN_READ_ACTIONS, resources=("*",)),
        Statement(
            sid="PlanReadsOfTheEnvironmentsData",
            actions=PLAN_READ_SCOPED_ACTIONS,
            resources=(*_scoped(env, "s3"), *_scoped(env, "glue"), *_scoped(env, "secretsmanager")),
        ),
        *_artifact_statements(env),
    ]
    resourceless = sorted(a for a in RESOURCELESS_ACTIONS if a.split(":")[0] == "glue")
    statements.append(Statement(sid="GlueSecurityConfigurations", actions=tuple(resourceless), resources=("*",)))
    for service in sorted(by_service):
        actions = tuple(sorted(by_service[service] - set(RESOURCELESS_ACTIONS)))
        if not actions:
            continue
        sid = "Deploy" + "".join(part.capitalize() for part in service.replace("-", " ").split())
        if service in REGIONAL_SERVICES:
            statements.append(Statement(sid=sid, actions=actions, resources=("*",), conditions=in_regions))
        else:
            statements.append(Statement(sid=sid, actions=actions, resources=tuple(_scoped(env, service))))
    return [*statements, *_kms_statements(env), *_iam_statements(env), *_deny_statements(env)]


def _compact(document: dict) -> str:
    return json.dumps(document, separators=(",", ":"))


def deploy_policy_documents(env: EnvironmentConfig) -> list[str]:
    """The deploy role's statements packed, in order, into as few managed policies as IAM's size limit allows
    (a Deny in any policy of the role applies to all of them)."""
    documents: list[list[dict]] = [[]]
    for statement in deploy_statements(env):
        rendered = statement.render()
        candidate = [*documents[-1], rendered]
        if (
            documents[-1]
            and len(_compact({"Version": "2012-10-17", "Statement": candidate})) > MANAGED_POLICY_MAX_CHARS
        ):
            documents.append([rendered])
        else:
            documents[-1] = candidate
    return [_compact({"Version": "2012-10-17", "Statement": statements}) for statements in documents]
