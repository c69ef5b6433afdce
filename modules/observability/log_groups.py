"""CloudWatch log groups as every construct of the platform creates them: KMS-encrypted, with retention."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from constructs import Construct


def encrypted_log_group(
    scope: Construct, construct_id: str, *, name: str, retention_days: int, kms_key_arn: str
) -> CloudwatchLogGroup:
    """A log group encrypted with ``kms_key_arn`` that keeps events ``retention_days`` days.

    Creating a group before the service that writes to it (RDS log exports, the CloudWatch agent) is what
    stops the service from creating it itself, unencrypted and kept forever.
    """
    return CloudwatchLogGroup(
        scope,
        construct_id,
        name=name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
    )
