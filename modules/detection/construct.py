"""Detective controls: the audit trail, AWS Config with the platform's rules, Security Hub, GuardDuty, IAM Access
Analyzer, and the routing of their findings to the alert topic."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.accessanalyzer_analyzer import AccessanalyzerAnalyzer
from cdktf_cdktf_provider_aws.cloudtrail import (
    Cloudtrail,
    CloudtrailAdvancedEventSelector,
    CloudtrailAdvancedEventSelectorFieldSelector,
)
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetInputTransformer,
)
from cdktf_cdktf_provider_aws.config_config_rule import ConfigConfigRule, ConfigConfigRuleSource
from cdktf_cdktf_provider_aws.config_configuration_recorder import (
    ConfigConfigurationRecorder,
    ConfigConfigurationRecorderRecordingGroup,
)
from cdktf_cdktf_provider_aws.config_configuration_recorder_status import ConfigConfigurationRecorderStatus
from cdktf_cdktf_provider_aws.config_delivery_channel import (
    ConfigDeliveryChannel,
    ConfigDeliveryChannelSnapshotDeliveryProperties,
)
from cdktf_cdktf_provider_aws.guardduty_detector import GuarddutyDetector
from cdktf_cdktf_provider_aws.guardduty_detector_feature import GuarddutyDetectorFeature
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.securityhub_account import SecurityhubAccount
from cdktf_cdktf_provider_aws.securityhub_standards_subscription import SecurityhubStandardsSubscription
from constructs import Construct

from modules.classification import Classification
from modules.detection.props import ControlScope, DetectionProps
from modules.detection.rules import CONFIG_RULES, FindingRoute, finding_routes
from modules.encryption.construct import key_administration, key_reader_statements
from modules.lake import LifecycleRule, SecureBucket, SecureBucketProps
from modules.naming import resource_name
from modules.observability.log_groups import encrypted_log_group
from modules.policy import Statement, assume_role_policy, policy_json
from modules.runbooks import with_runbook

CLOUDTRAIL_PREFIX = "cloudtrail"
CONFIG_PREFIX = "config"
FOUNDATIONAL_BEST_PRACTICES = "standards/aws-foundational-security-best-practices/v/1.0.0"
# GuardDuty protection plans switched on beside the foundational sources (CloudTrail, VPC flow logs, DNS).
GUARDDUTY_FEATURES = ("S3_DATA_EVENTS", "RDS_LOGIN_EVENTS")
OWNER_FULL_CONTROL = {"s3:x-amz-acl": "bucket-owner-full-control"}


class DetectiveControls(Construct):
    """What watches the account (docs/adr/0078-detective-controls-per-account-or-organization.md).

    - an audit bucket and its own key, receiving CloudTrail logs and AWS Config history;
    - a trail with log-file validation, encrypted with the audit key, also sent to an encrypted log group,
      recording the lake bucket's object-level calls (data events); in ``ACCOUNT`` scope also every region's
      management events;
    - AWS Config's recorder and delivery channel (``ACCOUNT`` scope) and the platform's managed rules
      (``rules.CONFIG_RULES``, every scope);
    - Security Hub with AWS Foundational Security Best Practices, GuardDuty with S3 and RDS protection and an
      account analyzer of IAM Access Analyzer (``ACCOUNT`` scope; in ``ORGANIZATION`` scope the delegated
      administrator enables them for the account);
    - EventBridge rules sending HIGH and CRITICAL findings, Config non-compliance, tampering with these controls
      and any use of the break-glass role to the alert topic, each naming its runbook section.

    Exposes ``audit_bucket``, ``audit_key``, ``trail``, ``config_rules`` (identifier -> rule) and ``routes``
    (key -> EventBridge rule).
    """

    def __init__(self, scope: Construct, construct_id: str, props: DetectionProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        account_wide = props.scope is ControlScope.ACCOUNT
        self.audit_key = KmsKey(
            self,
            "audit-key",
            description=f"{props.name_prefix}: CloudTrail logs and AWS Config history",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30,
            policy=self._audit_key_policy(),
            tags={"purpose": "audit"},
        )
        KmsAlias(self, "audit-key-alias", name=f"alias/{props.name_prefix}-audit", target_key_id=self.audit_key.key_id)
        self.audit_bucket = self._audit_bucket()
        self.trail = self._trail(account_wide)
        recorder = self._config_recorder() if account_wide else None
        self.config_rules = {
            rule.identifier: ConfigConfigRule(
                self,
                f"config-rule-{rule.name_suffix}",
                name=resource_name(props.name_prefix, rule.name_suffix, max_length=128),
                description=f"Platform guardrail: {rule.guardrail}",
                source=ConfigConfigRuleSource(owner="AWS", source_identifier=rule.identifier),
                # AWS Config refuses a rule while the account has no configuration recorder.
                depends_on=[recorder] if recorder else None,
            )
            for rule in CONFIG_RULES
        }
        if account_wide:
            self._security_services()
        self.routes = {
            route.key: self._route(route)
            for route in finding_routes(f"{props.name_prefix}-", props.break_glass_role_arn)
        }

    def _audit_key_policy(self) -> str:
        """CloudTrail encrypts with the key for this trail only, AWS Config's service-linked role delivers with it,
        and principals of the account decrypt trail logs (with their own IAM permission), as AWS documents."""
        props = self.props
        account_root = f"arn:aws:iam::{props.account_id}:root"
        trail_context = {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{props.account_id}:trail/*"}
        return policy_json(
            [
                *key_administration(props.account_id, props.key_admin_role_arns, props.break_glass_role_arn),
                *key_reader_statements(props.account_id, props.key_reader_role_arns),
                Statement(
                    sid="CloudTrailEncryptsThisTrailsLogs",
                    actions=("kms:GenerateDataKey*",),
                    principals={"Service": "cloudtrail.amazonaws.com"},
                    conditions={"StringEquals": {"aws:SourceArn": props.trail_arn}, "StringLike": trail_context},
                ),
                Statement(
                    sid="CloudTrailDescribesTheKey",
                    actions=("kms:DescribeKey",),
                    principals={"Service": "cloudtrail.amazonaws.com"},
                    conditions={"StringEquals": {"aws:SourceArn": props.trail_arn}},
                ),
                Statement(
                    sid="AccountPrincipalsDecryptTrailLogs",
                    actions=("kms:Decrypt", "kms:ReEncryptFrom"),
                    principals={"AWS": account_root},
                    conditions={"StringEquals": {"kms:CallerAccount": props.account_id}, "StringLike": trail_context},
                ),
                Statement(
                    sid="ConfigDeliversWithItsServiceLinkedRole",
                    actions=("kms:Decrypt", "kms:GenerateDataKey"),
                    principals={"AWS": props.config_role_arn},
                ),
                Statement(
                    sid="ReadAuditRecordsThroughS3InThisAccount",
                    actions=("kms:Decrypt", "kms:DescribeKey"),
                    principals={"AWS": account_root},
                    conditions={
                        "StringEquals": {
                            "kms:CallerAccount": props.account_id,
                            "kms:ViaService": f"s3.{props.region}.amazonaws.com",
                        }
                    },
                ),
            ]
        )

    def _audit_bucket(self) -> SecureBucket:
        props = self.props
        bucket = SecureBucket(
            self,
            "audit",
            SecureBucketProps(
                bucket_name=resource_name(props.name_prefix, f"audit-{props.account_id}"),
                account_id=props.account_id,
                # Who did what, from where: need-to-know, like the restricted datasets.
                classification=Classification.RESTRICTED,
                kms_key_arn=self.audit_key.arn,
                noncurrent_version_expiry_days=props.noncurrent_version_expiry_days,
                abort_incomplete_multipart_days=7,
                access_log_bucket=props.access_log_bucket,
                lifecycle_rules=(LifecycleRule("audit-expiry", "", expiration_days=props.audit_retention_days),),
                force_destroy=props.force_destroy,
            ),
        )
        arn = bucket.bucket_arn
        trail = {"aws:SourceArn": props.trail_arn}
        account = {"aws:SourceAccount": props.account_id}
        for statement in (
            Statement(
                sid="CloudTrailChecksTheBucketAcl",
                actions=("s3:GetBucketAcl",),
                resources=(arn,),
                principals={"Service": "cloudtrail.amazonaws.com"},
                conditions={"StringEquals": trail},
            ),
            Statement(
                sid="CloudTrailWritesThisTrailsLogs",
                actions=("s3:PutObject",),
                resources=(f"{arn}/{CLOUDTRAIL_PREFIX}/AWSLogs/{props.account_id}/*",),
                principals={"Service": "cloudtrail.amazonaws.com"},
                conditions={"StringEquals": {**trail, **OWNER_FULL_CONTROL}},
            ),
            Statement(
                sid="ConfigChecksTheBucket",
                actions=("s3:GetBucketAcl", "s3:ListBucket"),
                resources=(arn,),
                principals={"Service": "config.amazonaws.com"},
                conditions={"StringEquals": account},
            ),
            Statement(
                sid="ConfigWritesThisAccountsHistory",
                actions=("s3:PutObject",),
                resources=(f"{arn}/{CONFIG_PREFIX}/AWSLogs/{props.account_id}/Config/*",),
                principals={"Service": "config.amazonaws.com"},
                conditions={"StringEquals": {**account, **OWNER_FULL_CONTROL}},
            ),
        ):
            bucket.grant_service_delivery(statement)
        return bucket

    def _trail(self, account_wide: bool) -> Cloudtrail:
        props = self.props
        log_group = encrypted_log_group(
            self,
            "trail-log-group",
            name=f"/northwind/cloudtrail/{props.name_prefix}",
            retention_days=props.trail_log_retention_days,
            kms_key_arn=props.logs_kms_key_arn,
        )
        role = IamRole(
            self,
            "trail-logs-role",
            name=resource_name(props.name_prefix, "cloudtrail-logs", max_length=64),
            description="Northwind service role: CloudTrail delivering the trail to its log group",
            assume_role_policy=assume_role_policy(
                "cloudtrail.amazonaws.com", source_account=props.account_id, source_arn=props.trail_arn
            ),
            max_session_duration=3600,
        )
        role_policy = IamRolePolicy(
            self,
            "trail-logs-policy",
            role=role.id,
            name="deliver-trail-to-log-group",
            policy=policy_json(
                [
                    Statement(
                        sid="WriteTrailLogStreams",
                        actions=("logs:CreateLogStream", "logs:PutLogEvents"),
                        resources=(f"{log_group.arn}:log-stream:*",),
                    )
                ]
            ),
        )
        selectors = [
            CloudtrailAdvancedEventSelector(
                name="Object-level calls on the lake bucket",
                field_selector=[
                    CloudtrailAdvancedEventSelectorFieldSelector(field="eventCategory", equal_to=["Data"]),
                    CloudtrailAdvancedEventSelectorFieldSelector(field="resources.type", equal_to=["AWS::S3::Object"]),
                    CloudtrailAdvancedEventSelectorFieldSelector(
                        field="resources.ARN", starts_with=[f"{props.lake_bucket_arn}/"]
                    ),
                ],
            )
        ]
        if account_wide:
            selectors.insert(
                0,
                CloudtrailAdvancedEventSelector(
                    name="Management events",
                    field_selector=[
                        CloudtrailAdvancedEventSelectorFieldSelector(field="eventCategory", equal_to=["Management"])
                    ],
                ),
            )
        return Cloudtrail(
            self,
            "trail",
            name=props.trail_name,
            s3_bucket_name=self.audit_bucket.bucket_name,
            s3_key_prefix=CLOUDTRAIL_PREFIX,
            kms_key_id=self.audit_key.arn,
            enable_log_file_validation=True,
            enable_logging=True,
            is_multi_region_trail=account_wide,
            include_global_service_events=account_wide,
            cloud_watch_logs_group_arn=f"{log_group.arn}:*",
            cloud_watch_logs_role_arn=role.arn,
            advanced_event_selector=selectors,
            # CreateTrail checks the bucket policy (InsufficientS3BucketPolicyException) and that the role can
            # write the log group (InvalidCloudWatchLogsRoleArnException).
            depends_on=[*self.audit_bucket.delivery_ready, role_policy],
        )

    def _config_recorder(self) -> ConfigConfigurationRecorder:
        props = self.props
        recorder = ConfigConfigurationRecorder(
            self,
            "config-recorder",
            name=resource_name(props.name_prefix, "recorder"),
            role_arn=props.config_role_arn,
            recording_group=ConfigConfigurationRecorderRecordingGroup(
                all_supported=True, include_global_resource_types=True
            ),
        )
        channel = ConfigDeliveryChannel(
            self,
            "config-delivery-channel",
            name=resource_name(props.name_prefix, "config"),
            s3_bucket_name=self.audit_bucket.bucket_name,
            s3_key_prefix=CONFIG_PREFIX,
            s3_kms_key_arn=self.audit_key.arn,
            snapshot_delivery_properties=ConfigDeliveryChannelSnapshotDeliveryProperties(
                delivery_frequency="TwentyFour_Hours"
            ),
            # PutDeliveryChannel needs the recorder, and checks the bucket policy (InsufficientDeliveryPolicy).
            depends_on=[recorder, *self.audit_bucket.delivery_ready],
        )
        ConfigConfigurationRecorderStatus(
            self,
            "config-recorder-status",
            name=recorder.name,
            is_enabled=True,
            # StartConfigurationRecorder fails without a delivery channel.
            depends_on=[channel],
        )
        return recorder

    def _security_services(self) -> None:
        props = self.props
        hub = SecurityhubAccount(
            self,
            "security-hub",
            enable_default_standards=False,
            auto_enable_controls=True,
            control_finding_generator="SECURITY_CONTROL",
        )
        SecurityhubStandardsSubscription(
            self,
            "foundational-best-practices",
            standards_arn=f"arn:aws:securityhub:{props.region}::{FOUNDATIONAL_BEST_PRACTICES}",
            # A standard can be subscribed only once Security Hub is enabled in the account.
            depends_on=[hub],
        )
        detector = GuarddutyDetector(self, "guardduty", enable=True, finding_publishing_frequency="FIFTEEN_MINUTES")
        for feature in GUARDDUTY_FEATURES:
            GuarddutyDetectorFeature(
                self,
                f"guardduty-{feature.lower().replace('_', '-')}",
                detector_id=detector.id,
                name=feature,
                status="ENABLED",
            )
        AccessanalyzerAnalyzer(
            self, "access-analyzer", analyzer_name=resource_name(props.name_prefix, "access"), type="ACCOUNT"
        )

    def _route(self, route: FindingRoute) -> CloudwatchEventRule:
        props = self.props
        rule = CloudwatchEventRule(
            self,
            f"route-{route.key}",
            name=resource_name(props.name_prefix, route.key, max_length=64),
            description=with_runbook(route.description, route.runbook),
            event_pattern=json.dumps(route.pattern),
        )
        CloudwatchEventTarget(
            self,
            f"route-{route.key}-to-topic",
            rule=rule.name,
            target_id="alert-topic",
            arn=props.alert_topic_arn,
            input_transformer=CloudwatchEventTargetInputTransformer(
                input_paths=route.input_paths,
                input_template=route.template.replace("<runbook>", route.runbook),
            ),
            depends_on=list(props.alert_topic_after) or None,
        )
        return rule
