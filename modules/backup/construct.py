"""AWS Backup: an encrypted vault and a daily and monthly plan for the database and the critical buckets."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.backup_plan import BackupPlan, BackupPlanRule, BackupPlanRuleLifecycle
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from modules.backup.props import DAILY_SCHEDULE, MONTHLY_SCHEDULE, BackupProps
from modules.naming import resource_name
from modules.policy import assume_role_policy

# AWS Backup's own managed policies for its service role: AWS keeps them in step with each resource type's
# backup and restore APIs (RDS, S3 with its EventBridge rules). The least-privilege test lists them as the only
# managed policies allowed.
BACKUP_SERVICE_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
)


class Backup(Construct):
    """A KMS-encrypted vault, a plan with a daily and a monthly rule, and a selection of the protected ARNs.

    Exposes ``vault_name``, ``vault_arn``, ``plan_id`` and ``role_arn``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: BackupProps) -> None:
        super().__init__(scope, construct_id)
        vault = BackupVault(
            self,
            "vault",
            name=resource_name(props.name_prefix, "backups"),
            kms_key_arn=props.kms_key_arn,
            force_destroy=props.force_destroy,
            tags={"data-classification": props.classification.value},
        )
        plan = BackupPlan(
            self,
            "plan",
            name=resource_name(props.name_prefix, "daily-monthly"),
            rule=[
                BackupPlanRule(
                    rule_name=name,
                    target_vault_name=vault.name,
                    schedule=schedule,
                    start_window=60,
                    completion_window=720,
                    lifecycle=BackupPlanRuleLifecycle(delete_after=days),
                )
                for name, schedule, days in (
                    ("daily", DAILY_SCHEDULE, props.daily_retention_days),
                    ("monthly", MONTHLY_SCHEDULE, props.monthly_retention_days),
                )
            ],
        )
        role = IamRole(
            self,
            "role",
            name=resource_name(props.name_prefix, "backup", max_length=64),
            assume_role_policy=assume_role_policy(
                "backup.amazonaws.com",
                source_account=props.account_id,
                source_arn=f"arn:aws:backup:{props.region}:{props.account_id}:*",
            ),
        )
        for index, policy_arn in enumerate(BACKUP_SERVICE_POLICIES):
            IamRolePolicyAttachment(self, f"role-policy-{index}", role=role.name, policy_arn=policy_arn)
        BackupSelection(
            self,
            "selection",
            name=resource_name(props.name_prefix, "critical-data"),
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=list(props.protected_resource_arns),
        )
        self.vault_name: str = vault.name
        self.vault_arn: str = vault.arn
        self.plan_id: str = plan.id
        self.role_arn: str = role.arn
