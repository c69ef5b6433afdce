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

__all__ = [
    "DEFAULT_CRITICAL_ZONES",
    "QUERY_RESULTS_PREFIX",
    "DataLake",
    "DataLakeProps",
    "LakeReplication",
    "LakeRetention",
    "LifecycleRule",
    "SecureBucket",
    "SecureBucketProps",
    "lake_bucket_name",
]
