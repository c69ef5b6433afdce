"""Props of the detective controls construct: the audit trail, Config, Security Hub, GuardDuty, Access Analyzer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from cdktf import ITerraformDependable

from modules.lake import SecureBucket


class ControlScope(StrEnum):
    """Who switches the account-level services on.

    ``ACCOUNT``: this construct enables CloudTrail (multi-region, management and data events), the Config
    recorder, Security Hub, GuardDuty and IAM Access Analyzer itself. ``ORGANIZATION``: a security account does,
    for every member account, as delegated administrator; this construct keeps what is the platform's own (the
    lake's data-event trail, the platform's Config rules, the routing of findings to the alert topic).
    """

    ACCOUNT = "account"
    ORGANIZATION = "organization"


@dataclass(frozen=True)
class DetectionProps:
    """Inputs of ``DetectiveControls``.

    Attributes:
        name_prefix: ``northwind-<env>``; the trail, rules, analyzer and audit bucket are named from it.
        account_id: the environment's account.
        region: the environment's region.
        scope: ``ControlScope``: account-local services, or delegated to the organization.
        key_admin_role_arns: administrators of the audit key.
        key_reader_role_arns: may read the audit key's metadata and policy (the read-only plan role).
            Default: none.
        break_glass_role_arn: the audit key's break-glass administration path (with MFA); any use of the role
            raises an alert.
        config_role_arn: AWS Config's service-linked role (``AWSServiceRoleForConfig``, from the account
            bootstrap); the recorder records as it and delivers with it through the audit key.
        lake_bucket_arn: the lake bucket whose object-level API calls the trail records (data events).
        access_log_bucket: where the audit bucket's server access logs go.
        logs_kms_key_arn: the key of the trail's CloudWatch log group.
        alert_topic_arn: the environment's alert topic; HIGH and CRITICAL findings go there.
        audit_retention_days: how long the audit bucket keeps CloudTrail logs and Config history (>= 365).
        noncurrent_version_expiry_days: how long overwritten or deleted audit objects are kept.
        trail_log_retention_days: how long the trail's CloudWatch log group keeps events. Default: 365.
        alert_topic_after: what the rules' targets are created after (the topic's policy: EventBridge drops
            what the topic refuses, silently). Default: none.
        force_destroy_requested: the construct's half of the two switches for deleting the audit bucket with its
            objects. Default: False.
        allow_data_destruction: the environment's half. Default: False.
    """

    name_prefix: str
    account_id: str
    region: str
    scope: ControlScope
    key_admin_role_arns: tuple[str, ...]
    break_glass_role_arn: str
    config_role_arn: str
    lake_bucket_arn: str
    access_log_bucket: SecureBucket
    logs_kms_key_arn: str
    alert_topic_arn: str
    audit_retention_days: int
    noncurrent_version_expiry_days: int
    trail_log_retention_days: int = 365
    alert_topic_after: tuple[ITerraformDependable, ...] = ()
    force_destroy_requested: bool = False
    allow_data_destruction: bool = False
    key_reader_role_arns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{12}", self.account_id):
            raise ValueError(f"DetectionProps.account_id: {self.account_id!r} is not a 12-digit AWS account id")
        if self.audit_retention_days < 365:
            raise ValueError("DetectionProps.audit_retention_days: keep audit records at least 365 days")
        if not self.key_admin_role_arns:
            raise ValueError("DetectionProps.key_admin_role_arns: the audit key needs an administrator")

    @property
    def trail_name(self) -> str:
        """The trail, ``<name_prefix>-audit``."""
        return f"{self.name_prefix}-audit"

    @property
    def trail_arn(self) -> str:
        """The trail's ARN, known before it exists (the audit key's and bucket's policies name it)."""
        return f"arn:aws:cloudtrail:{self.region}:{self.account_id}:trail/{self.trail_name}"

    @property
    def force_destroy(self) -> bool:
        """True only when the construct asks for destruction and the environment allows it."""
        return self.force_destroy_requested and self.allow_data_destruction
