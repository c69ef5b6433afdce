"""Props of the backup construct."""

from __future__ import annotations

from dataclasses import dataclass

from modules.classification import Classification

# AWS Backup schedules (UTC): daily after the nightly batch has landed, monthly on the 1st.
DAILY_SCHEDULE = "cron(0 5 * * ? *)"
MONTHLY_SCHEDULE = "cron(0 6 1 * ? *)"


@dataclass(frozen=True)
class BackupProps:
    """Inputs of ``Backup``.

    Attributes:
        name_prefix: ``northwind-<env>``; the vault is ``<prefix>-backups``, the plan ``<prefix>-daily-monthly``.
        account_id: the environment's account (the backup role trusts AWS Backup only for it).
        region: the vault's region.
        kms_key_arn: the key of the vault's recovery points.
        classification: ``data-classification`` of the vault: the most sensitive of what it protects.
        daily_retention_days: how long daily recovery points are kept.
        monthly_retention_days: how long monthly recovery points are kept (at least 30).
        protected_resource_arns: what the plan backs up (the database, the critical buckets); at least one.
        force_destroy_requested: the construct's half of the two switches for deleting the vault with its
            recovery points. Default: False.
        allow_data_destruction: the environment's half. Default: False.
    """

    name_prefix: str
    account_id: str
    region: str
    kms_key_arn: str
    classification: Classification
    daily_retention_days: int
    monthly_retention_days: int
    protected_resource_arns: tuple[str, ...]
    force_destroy_requested: bool = False
    allow_data_destruction: bool = False

    def __post_init__(self) -> None:
        if self.daily_retention_days < 1:
            raise ValueError("BackupProps.daily_retention_days must be at least 1")
        if self.monthly_retention_days < max(30, self.daily_retention_days):
            raise ValueError(
                "BackupProps.monthly_retention_days must be at least 30 and not shorter than daily_retention_days"
            )
        if not self.protected_resource_arns:
            raise ValueError("BackupProps.protected_resource_arns: give at least one resource to back up")

    @property
    def force_destroy(self) -> bool:
        """True only when the construct asks for destruction and the environment allows it."""
        return self.force_destroy_requested and self.allow_data_destruction
