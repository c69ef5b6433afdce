"""What the detective controls watch, as data: the AWS Config managed rules over the platform's own guardrails,
and the EventBridge routes that bring findings to the alert topic."""

from __future__ import annotations

from dataclasses import dataclass

from modules.runbooks import runbook_section

RUNBOOK = "security-findings.md"


@dataclass(frozen=True)
class ConfigRule:
    """One AWS Config managed rule and the platform guardrail it re-checks in the running account."""

    identifier: str
    guardrail: str

    @property
    def name_suffix(self) -> str:
        """``S3_BUCKET_SSL_REQUESTS_ONLY`` -> ``s3-bucket-ssl-requests-only``."""
        return self.identifier.lower().replace("_", "-")


# Every guardrail the stacks impose, re-checked by AWS Config where the account runs (drift, hand changes).
# Only rules every environment satisfies by construction: a NON_COMPLIANT result is always a real drift.
CONFIG_RULES: tuple[ConfigRule, ...] = (
    ConfigRule("S3_BUCKET_SSL_REQUESTS_ONLY", "buckets deny requests without TLS (modules/lake/bucket.py)"),
    ConfigRule("S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "buckets encrypt by default (modules/lake/bucket.py)"),
    ConfigRule("S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", "all four public access blocks on every bucket"),
    ConfigRule("S3_BUCKET_VERSIONING_ENABLED", "every bucket is versioned"),
    ConfigRule("CMK_BACKING_KEY_ROTATION_ENABLED", "customer-managed keys rotate yearly (modules/encryption)"),
    ConfigRule("KMS_CMK_NOT_SCHEDULED_FOR_DELETION", "no platform key is being deleted"),
    ConfigRule("RDS_STORAGE_ENCRYPTED", "the serving database is encrypted with its key (modules/database)"),
    ConfigRule("RDS_INSTANCE_PUBLIC_ACCESS_CHECK", "the serving database is not publicly accessible"),
    ConfigRule("RDS_SNAPSHOTS_PUBLIC_PROHIBITED", "no database snapshot is shared publicly"),
    ConfigRule("DB_INSTANCE_BACKUP_ENABLED", "automated backups and point-in-time recovery are on"),
    ConfigRule("EC2_IMDSV2_CHECK", "instances require IMDSv2 (modules/compute)"),
    ConfigRule("EC2_INSTANCE_NO_PUBLIC_IP", "instances have no public IP"),
    ConfigRule("ENCRYPTED_VOLUMES", "instance volumes are encrypted with the EBS key"),
    ConfigRule("INCOMING_SSH_DISABLED", "no security group opens port 22 (Session Manager instead)"),
    ConfigRule("VPC_DEFAULT_SECURITY_GROUP_CLOSED", "the default security group has no rules (modules/network)"),
    ConfigRule("VPC_FLOW_LOGS_ENABLED", "the VPC records flow logs"),
    ConfigRule("ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK", "port 80 only redirects to HTTPS (ADR 0022)"),
    ConfigRule("ALB_HTTP_DROP_INVALID_HEADER_ENABLED", "the load balancer drops invalid header fields"),
    ConfigRule("ALB_WAF_ENABLED", "the load balancer sits behind the web ACL"),
    ConfigRule("ELB_LOGGING_ENABLED", "the load balancer writes access logs"),
    ConfigRule("CLOUDWATCH_LOG_GROUP_ENCRYPTED", "every log group is encrypted with the logs key"),
    ConfigRule("SNS_ENCRYPTED_KMS", "the alert topic is encrypted with its own key"),
    ConfigRule("DYNAMODB_TABLE_ENCRYPTED_KMS", "the Terraform lock table is encrypted with the state key"),
    ConfigRule("BACKUP_RECOVERY_POINT_ENCRYPTED", "AWS Backup recovery points are encrypted"),
    ConfigRule("IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", "no customer-managed policy grants *:*"),
    ConfigRule("IAM_ROOT_ACCESS_KEY_CHECK", "the root user has no access keys"),
    ConfigRule("MULTI_REGION_CLOUD_TRAIL_ENABLED", "a multi-region trail records the account"),
    ConfigRule("CLOUD_TRAIL_ENCRYPTION_ENABLED", "trails are encrypted with a KMS key"),
    ConfigRule("CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", "trail log files are signed (validation on)"),
    ConfigRule("GUARDDUTY_ENABLED_CENTRALIZED", "GuardDuty runs in the account"),
    ConfigRule("SECURITYHUB_ENABLED", "Security Hub runs in the account"),
)


@dataclass(frozen=True)
class FindingRoute:
    """One EventBridge rule sending a kind of finding to the alert topic, with the runbook section for it.

    ``input_paths`` and ``template`` make the one-line message; ``<runbook>`` in the template is filled in.
    """

    key: str
    description: str
    anchor: str
    pattern: dict
    input_paths: dict[str, str]
    template: str

    @property
    def runbook(self) -> str:
        return runbook_section(RUNBOOK, self.anchor)


# Detective controls switched off or narrowed: CloudTrail, Config, GuardDuty, Security Hub, Access Analyzer.
TAMPERING_EVENTS = {
    "aws.cloudtrail": ("DeleteTrail", "PutEventSelectors", "StopLogging", "UpdateTrail"),
    "aws.config": ("DeleteConfigurationRecorder", "DeleteDeliveryChannel", "StopConfigurationRecorder"),
    "aws.guardduty": ("DeleteDetector", "DisassociateFromAdministratorAccount", "UpdateDetector"),
    "aws.securityhub": ("BatchDisableStandards", "DisableSecurityHub", "DisassociateFromAdministratorAccount"),
    "aws.access-analyzer": ("DeleteAnalyzer",),
}
# Products whose findings reach the topic by a rule of their own, so Security Hub's copy would be a duplicate.
ROUTED_DIRECTLY = ("GuardDuty", "IAM Access Analyzer")
HIGH_AND_CRITICAL = ("HIGH", "CRITICAL")
# GuardDuty severities: 7.0-8.9 high, 9.0-10.0 critical.
GUARDDUTY_HIGH = 7


def finding_routes(config_rule_prefix: str, break_glass_role_arn: str) -> tuple[FindingRoute, ...]:
    """Every route to the alert topic; Config non-compliance only for the platform's own rules."""
    return (
        FindingRoute(
            "security-hub-findings",
            "Security Hub HIGH or CRITICAL findings (AWS Foundational Security Best Practices and integrations)",
            "security-hub-findings",
            {
                "source": ["aws.securityhub"],
                "detail-type": ["Security Hub Findings - Imported"],
                "detail": {
                    "findings": {
                        "Severity": {"Label": list(HIGH_AND_CRITICAL)},
                        "Workflow": {"Status": ["NEW"]},
                        "RecordState": ["ACTIVE"],
                        "ProductName": [{"anything-but": list(ROUTED_DIRECTLY)}],
                    }
                },
            },
            {
                "severity": "$.detail.findings[0].Severity.Label",
                "title": "$.detail.findings[0].Title",
                "resource": "$.detail.findings[0].Resources[0].Id",
            },
            '"Security Hub <severity>: <title> on <resource>. Runbook: <runbook>"',
        ),
        FindingRoute(
            "guardduty-findings",
            "GuardDuty findings of high or critical severity (7.0 and above)",
            "guardduty-findings",
            {
                "source": ["aws.guardduty"],
                "detail-type": ["GuardDuty Finding"],
                "detail": {"severity": [{"numeric": [">=", GUARDDUTY_HIGH]}]},
            },
            {"severity": "$.detail.severity", "type": "$.detail.type", "title": "$.detail.title"},
            '"GuardDuty severity <severity> <type>: <title>. Runbook: <runbook>"',
        ),
        FindingRoute(
            "access-analyzer-findings",
            "IAM Access Analyzer: a resource shared outside the account (active finding)",
            "access-analyzer-findings",
            {
                "source": ["aws.access-analyzer"],
                "detail-type": ["Access Analyzer Finding"],
                "detail": {"status": ["ACTIVE"]},
            },
            {"resource": "$.detail.resource", "type": "$.detail.resourceType", "principal": "$.detail.principal"},
            '"Access Analyzer: <type> <resource> is shared with <principal>. Runbook: <runbook>"',
        ),
        FindingRoute(
            "config-non-compliance",
            "A resource no longer complies with one of the platform's AWS Config rules",
            "config-non-compliance",
            {
                "source": ["aws.config"],
                "detail-type": ["Config Rules Compliance Change"],
                "detail": {
                    "configRuleName": [{"prefix": config_rule_prefix}],
                    "newEvaluationResult": {"complianceType": ["NON_COMPLIANT"]},
                },
            },
            {"rule": "$.detail.configRuleName", "resource": "$.detail.resourceId", "type": "$.detail.resourceType"},
            '"AWS Config: <type> <resource> is NON_COMPLIANT with <rule>. Runbook: <runbook>"',
        ),
        FindingRoute(
            "detective-controls-tampering",
            "A detective control was stopped, deleted or narrowed (CloudTrail, Config, GuardDuty, Security Hub)",
            "detective-controls-tampering",
            {
                "source": sorted(TAMPERING_EVENTS),
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {"eventName": sorted({name for names in TAMPERING_EVENTS.values() for name in names})},
            },
            {"event": "$.detail.eventName", "who": "$.detail.userIdentity.arn", "source": "$.source"},
            '"Detective control changed: <source> <event> by <who>. Runbook: <runbook>"',
        ),
        FindingRoute(
            "break-glass-used",
            "The break-glass role was assumed",
            "break-glass-used",
            {
                "source": ["aws.sts"],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {"eventName": ["AssumeRole"], "requestParameters": {"roleArn": [break_glass_role_arn]}},
            },
            {"who": "$.detail.userIdentity.arn", "ip": "$.detail.sourceIPAddress"},
            '"Break-glass role assumed by <who> from <ip>. Runbook: <runbook>"',
        ),
    )
