"""The data lake: zoned lake bucket, artifacts and access-log buckets, lifecycle, events and replication."""

from modules.lake.bucket import LifecycleRule, SecureBucket, SecureBucketProps
from modules.lake.construct import DataLake
from modules.lake.props import (
    DEFAULT_CRITICAL_ZONES,
    QUERY_RESULTS_PREFIX,
    DataLakeProps,
    LakeReplication,
    LakeRetention,
    lake_bucket_name,
)
from modules.lake.retention import DatasetExpiry, contract_retention_days, dataset_expiries

__all__ = [
    "DEFAULT_CRITICAL_ZONES",
    "QUERY_RESULTS_PREFIX",
    "DataLake",
    "DataLakeProps",
    "DatasetExpiry",
    "LakeReplication",
    "LakeRetention",
    "LifecycleRule",
    "SecureBucket",
    "SecureBucketProps",
    "contract_retention_days",
    "dataset_expiries",
    "lake_bucket_name",
]
