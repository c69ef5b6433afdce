"""Props of the serving database construct."""

from __future__ import annotations

import re
from dataclasses import dataclass

from modules.classification import Classification

# RDS for PostgreSQL accepts these enhanced-monitoring intervals (0 would switch monitoring off: not offered).
MONITORING_INTERVALS = (1, 5, 10, 15, 30, 60)
_MAJOR_VERSION = re.compile(r"^\d{2}$")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class DatabaseNetwork:
    """Where the database and its Glue connection live.

    Attributes:
        vpc_id: the VPC.
        data_subnet_ids: the isolated data subnets (no route to the internet), one per AZ, at least two.
        glue_subnet_id: the application subnet Glue jobs run their network interfaces in.
        glue_availability_zone: that subnet's availability zone (Glue connections name it explicitly).
    """

    vpc_id: str
    data_subnet_ids: tuple[str, ...]
    glue_subnet_id: str
    glue_availability_zone: str

    def __post_init__(self) -> None:
        if len(self.data_subnet_ids) < 2:
            raise ValueError("DatabaseNetwork.data_subnet_ids: RDS needs subnets in at least two AZs")


@dataclass(frozen=True)
class DatabaseProps:
    """Inputs of ``ServingDatabase``.

    Secure settings are imposed, not offered: storage encryption with the database key, TLS-only connections
    (``rds.force_ssl``), IAM authentication, a Secrets Manager managed master password, Performance Insights
    and enhanced monitoring, log exports, automatic minor upgrades and copy-tags-to-snapshots.

    Attributes:
        name_prefix: ``northwind-<env>``; the instance is ``<name_prefix>-serving``.
        account_id: the environment's account (the monitoring role trusts RDS only for its instance).
        region: the instance's region.
        network: ``DatabaseNetwork``.
        engine_version: PostgreSQL major version ("18"); RDS chooses and patches the minor.
        instance_class: e.g. ``db.t4g.medium``.
        allocated_storage_gib: initial gp3 storage.
        max_allocated_storage_gib: storage autoscaling ceiling (>= allocated_storage_gib).
        multi_az: a synchronous standby in another AZ.
        backup_retention_days: automated backups and point-in-time recovery window (1-35 days).
        deletion_protection: refuse deletion of the instance.
        performance_insights_retention_days: 7, 31 x N (N <= 23) or 731.
        monitoring_interval_seconds: enhanced monitoring granularity, one of ``MONITORING_INTERVALS``.
        database_kms_key_arn: encrypts storage, snapshots and Performance Insights.
        secrets_kms_key_arn: encrypts the managed master-user secret.
        logs_kms_key_arn: encrypts the log groups the PostgreSQL and upgrade logs are exported to.
        log_retention_days: retention of those log groups.
        data_classification: ``data-classification`` tag, the most sensitive of the served datasets
            (``modules.classification.store_classification``).
        database_name: the database created in the instance. Default: "northwind".
        master_username: the administrator login; its password lives only in Secrets Manager.
            Default: "northwind_admin".
        skip_final_snapshot_requested: the construct's half of the two switches for deleting the database
            without a final snapshot. Default: False.
        allow_data_destruction: the environment's half. Default: False. The final snapshot is skipped (and
            automated backups deleted with the instance) only when both are true.
    """

    name_prefix: str
    account_id: str
    region: str
    network: DatabaseNetwork
    engine_version: str
    instance_class: str
    allocated_storage_gib: int
    max_allocated_storage_gib: int
    multi_az: bool
    backup_retention_days: int
    deletion_protection: bool
    performance_insights_retention_days: int
    monitoring_interval_seconds: int
    database_kms_key_arn: str
    secrets_kms_key_arn: str
    logs_kms_key_arn: str
    log_retention_days: int
    data_classification: Classification
    database_name: str = "northwind"
    master_username: str = "northwind_admin"
    skip_final_snapshot_requested: bool = False
    allow_data_destruction: bool = False

    def __post_init__(self) -> None:
        if not _MAJOR_VERSION.match(self.engine_version):
            raise ValueError(
                f"DatabaseProps.engine_version={self.engine_version!r}: give the PostgreSQL major version only, "
                "e.g. '18'; RDS applies minor versions automatically"
            )
        if self.max_allocated_storage_gib < self.allocated_storage_gib:
            raise ValueError("DatabaseProps.max_allocated_storage_gib must be at least allocated_storage_gib")
        if not 1 <= self.backup_retention_days <= 35:
            raise ValueError(
                "DatabaseProps.backup_retention_days must be 1-35; 0 would switch off point-in-time recovery"
            )
        if self.monitoring_interval_seconds not in MONITORING_INTERVALS:
            raise ValueError(f"DatabaseProps.monitoring_interval_seconds must be one of {MONITORING_INTERVALS}")
        for field_name in ("database_name", "master_username"):
            if not _IDENTIFIER.match(getattr(self, field_name)):
                raise ValueError(f"DatabaseProps.{field_name} must start with a letter and hold only a-z, 0-9 and _")

    @property
    def identifier(self) -> str:
        """The RDS instance identifier."""
        return f"{self.name_prefix}-serving"

    @property
    def address_parameter_name(self) -> str:
        """The SSM parameter holding the instance's host name: ``/<identifier>/address``, known before it exists."""
        return f"/{self.identifier}/address"

    @property
    def address_parameter_arn(self) -> str:
        return f"arn:aws:ssm:{self.region}:{self.account_id}:parameter{self.address_parameter_name}"

    @property
    def parameter_group_family(self) -> str:
        """``postgres<major>``, the parameter group family of the engine version."""
        return f"postgres{self.engine_version}"

    @property
    def skip_final_snapshot(self) -> bool:
        """True only when the construct asks for it and the environment allows data destruction."""
        return self.skip_final_snapshot_requested and self.allow_data_destruction
