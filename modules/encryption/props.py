"""Props of the encryption construct."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class KeyPurpose:
    """What one customer-managed key protects and which AWS services may use it.

    ``via_services`` are service prefixes (``s3``, ``rds``) through which principals of the account may use
    the key, subject to their own IAM policies; ``cloudwatch_logs`` lets CloudWatch Logs use it directly for
    this account's log groups (Logs encrypts log groups itself, as a service principal). ``state_machines``
    admits principals of the account (by their IAM policies) for this environment's Step Functions state
    machines only, and CloudWatch Logs' delivery for their execution logs; ``schedules`` the same for this
    environment's EventBridge Scheduler schedules. Both confine use by the encryption context the service sets,
    not by ``kms:ViaService``: a state machine's execution role calls KMS as itself.
    """

    name: str
    description: str
    via_services: tuple[str, ...] = ()
    cloudwatch_logs: bool = False
    state_machines: bool = False
    schedules: bool = False


@dataclass(frozen=True)
class EncryptionProps:
    """Inputs of ``Encryption``.

    Attributes:
        name_prefix: ``northwind-<env>``; aliases become ``alias/<name_prefix>-<purpose>``.
        account_id: the environment's AWS account.
        region: the environment's region (service principals and via-service conditions are regional).
        key_admin_role_arns: the roles given key administration (by ``aws:PrincipalArn``); nobody gets ``kms:*``.
        break_glass_role_arn: the account bootstrap's break-glass role, the second administration path (with
            MFA) that does not depend on any administrator role existing.
        key_reader_role_arns: principals that may read the keys' metadata, policy and tags but neither use nor
            change them (the read-only plan role). Default: none.
        purposes: the keys to create. Default: ``DEFAULT_PURPOSES`` (lake, database, logs, secrets, ebs, backup,
            landing, pipelines).
        deletion_window_days: waiting period before a scheduled key deletion. Default: 30.
    """

    name_prefix: str
    account_id: str
    region: str
    key_admin_role_arns: tuple[str, ...]
    break_glass_role_arn: str
    key_reader_role_arns: tuple[str, ...] = ()
    purposes: tuple[KeyPurpose, ...] = field(default_factory=lambda: DEFAULT_PURPOSES)
    deletion_window_days: int = 30

    def __post_init__(self) -> None:
        if not self.key_admin_role_arns:
            raise ValueError("EncryptionProps.key_admin_role_arns: at least one key administrator is required")
        if not 7 <= self.deletion_window_days <= 30:
            raise ValueError("EncryptionProps.deletion_window_days must be between 7 and 30")


DEFAULT_PURPOSES: tuple[KeyPurpose, ...] = (
    # Firehose encrypts the clickstream it holds with the lake key before writing it to the lake.
    KeyPurpose("lake", "Data lake objects, Glue catalog and job outputs", via_services=("s3", "glue", "firehose")),
    KeyPurpose("database", "RDS PostgreSQL storage, snapshots and Performance Insights", via_services=("rds",)),
    KeyPurpose("logs", "CloudWatch log groups", cloudwatch_logs=True),
    KeyPurpose("secrets", "Secrets Manager secrets", via_services=("secretsmanager",)),
    # EC2 uses the key for the compute tier's volumes on behalf of callers in the account; Auto Scaling's own
    # service-linked role gets a KMS grant from the compute construct, as the key policy names no roles.
    KeyPurpose("ebs", "EBS volumes of the compute tier", via_services=("ec2",)),
    KeyPurpose("backup", "AWS Backup vault recovery points", via_services=("backup",)),
    KeyPurpose("landing", "The landing function's environment and dead-letter queue", via_services=("lambda", "sqs")),
    KeyPurpose(
        "pipelines",
        "Step Functions pipelines (definitions, execution history, execution logs) and their schedules",
        state_machines=True,
        schedules=True,
    ),
)
