"""Props of the data lake construct and of one secure bucket."""

from __future__ import annotations

import re
from dataclasses import dataclass

from etl.lake import ZONES
from modules.classification import Classification
from modules.lake.retention import DatasetExpiry

# S3 bucket names: 3-63 characters, lower-case letters, digits, hyphens; globally unique.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
# The zones worth a second copy in another region: raw is the only copy of what sources delivered, curated is
# what consumers read. Quarantine and reports are derived and can be recomputed.
DEFAULT_CRITICAL_ZONES = ("raw", "curated")
# Where query engines (Athena workgroups) write their results, one folder per workgroup: in the reports zone,
# beside the run reports, and expired by ``LakeRetention.query_results_expiry_days``.
QUERY_RESULTS_PREFIX = "reports/query-results/"


def lake_bucket_name(environment_name: str, account_id: str) -> str:
    """``northwind-data-lake-<env>-<account id>``: the brief's name, made globally unique by the account.

    S3 bucket names are global across all AWS customers; the account id makes the name ours without a random
    suffix, so it is stable across re-creation (docs/adr/0010-one-lake-bucket-with-zone-prefixes.md).
    """
    return check_bucket_name(f"northwind-data-lake-{environment_name}-{account_id}")


def check_bucket_name(name: str) -> str:
    """``name`` if S3 accepts it as a bucket name, else a ValueError saying why."""
    if not _BUCKET_NAME.match(name) or "--" in name:
        raise ValueError(f"bucket name {name!r} must be 3-63 lower-case letters, digits and single hyphens")
    return name


@dataclass(frozen=True)
class LakeRetention:
    """Lifecycle of the lake's objects: the contracts' retention per dataset and zone, the environment's
    storage-class transitions and version and log expiry.

    Attributes:
        raw_transition_to_ia_days: raw objects move to STANDARD_IA after this many days (>= 30, S3's minimum).
        raw_transition_to_glacier_days: raw objects move to GLACIER (Flexible Retrieval) after this many days.
        noncurrent_version_expiry_days: overwritten or deleted versions are kept this long, in every bucket.
        access_log_expiry_days: server access logs are kept this long.
        dataset_expiries: when each dataset's objects expire in each zone (``modules.lake.retention``), in the
            lake bucket and its replica. Default: none (nothing expires by age).
        abort_incomplete_multipart_days: unfinished multipart uploads are removed after this many days.
            Default: 7.
        query_results_expiry_days: query results under ``QUERY_RESULTS_PREFIX`` are deleted after this many
            days; they are copies of data already in the lake. Default: 30.
    """

    raw_transition_to_ia_days: int
    raw_transition_to_glacier_days: int
    noncurrent_version_expiry_days: int
    access_log_expiry_days: int
    dataset_expiries: tuple[DatasetExpiry, ...] = ()
    abort_incomplete_multipart_days: int = 7
    query_results_expiry_days: int = 30

    def __post_init__(self) -> None:
        if self.raw_transition_to_ia_days < 30:
            raise ValueError("LakeRetention.raw_transition_to_ia_days: S3 allows STANDARD_IA only after 30 days")
        if self.raw_transition_to_glacier_days < self.raw_transition_to_ia_days + 30:
            raise ValueError(
                "LakeRetention.raw_transition_to_glacier_days must be at least 30 days after "
                "raw_transition_to_ia_days (objects stay 30 days in STANDARD_IA)"
            )
        for name in ("noncurrent_version_expiry_days", "access_log_expiry_days", "query_results_expiry_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"LakeRetention.{name} must be at least 1 day")
        prefixes = [expiry.prefix for expiry in self.dataset_expiries]
        if len(set(prefixes)) != len(prefixes):
            raise ValueError("LakeRetention.dataset_expiries: one expiry per dataset and zone")


@dataclass(frozen=True)
class LakeReplication:
    """Cross-region replication of the critical zones.

    Attributes:
        region: the replica's region; must differ from the lake's.
        key_admin_role_arns: administrators of the replica's KMS key (created in ``region``).
        break_glass_role_arn: that key's break-glass administration path (with MFA).
        zones: the zone prefixes replicated. Default: ``DEFAULT_CRITICAL_ZONES`` (raw, curated).
        key_reader_role_arns: may read the replica key's metadata and policy (the read-only plan role).
            Default: none.
    """

    region: str
    key_admin_role_arns: tuple[str, ...]
    break_glass_role_arn: str
    zones: tuple[str, ...] = DEFAULT_CRITICAL_ZONES
    key_reader_role_arns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.zones) - set(ZONES)
        if unknown or not self.zones:
            raise ValueError(f"LakeReplication.zones: give zones among {', '.join(ZONES)} (got {self.zones})")
        if not self.key_admin_role_arns:
            raise ValueError("LakeReplication.key_admin_role_arns: the replica key needs an administrator")


@dataclass(frozen=True)
class DataLakeProps:
    """Inputs of ``DataLake``.

    Attributes:
        name_prefix: ``northwind-<env>``; names the artifacts and log buckets and the replication role.
        lake_bucket_name: the zoned lake bucket (see ``lake_bucket_name``).
        account_id: the environment's account; bucket names and log-delivery conditions use it.
        region: the lake's region.
        lake_kms_key_arn: the lake key; every data bucket encrypts with it and refuses any other key.
        lake_classification: ``data-classification`` of the lake bucket and its replica, computed from the
            datasets it holds (``modules.classification.store_classification``).
        retention: ``LakeRetention``.
        replication: ``LakeReplication`` to replicate the critical zones to another region. Default: None
            (no replica).
        force_destroy_requested: the construct's half of the two switches for deleting buckets with their
            objects. Default: False.
        allow_data_destruction: the environment's half. Default: False. Objects are deleted with a bucket only
            when both are true.
    """

    name_prefix: str
    lake_bucket_name: str
    account_id: str
    region: str
    lake_kms_key_arn: str
    lake_classification: Classification
    retention: LakeRetention
    replication: LakeReplication | None = None
    force_destroy_requested: bool = False
    allow_data_destruction: bool = False

    def __post_init__(self) -> None:
        check_bucket_name(self.lake_bucket_name)
        if not re.fullmatch(r"\d{12}", self.account_id):
            raise ValueError(f"DataLakeProps.account_id: {self.account_id!r} is not a 12-digit AWS account id")
        if self.replication is not None and self.replication.region == self.region:
            raise ValueError(
                f"DataLakeProps.replication.region: the replica must be in another region than {self.region}"
            )

    @property
    def force_destroy(self) -> bool:
        """True only when the construct asks for destruction and the environment allows it."""
        return self.force_destroy_requested and self.allow_data_destruction
