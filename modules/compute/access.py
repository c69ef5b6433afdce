"""What the analytics instances need beyond the identity module's instance role: the release's wheelhouse and
an IAM login to the serving database (no password: ``rds-db:connect`` for one database user)."""

from __future__ import annotations

from modules.compute.props import ServiceRelease
from modules.policy import Statement


def service_statements(
    release: ServiceRelease, artifacts_bucket_arn: str, region: str, account_id: str, database_resource_id: str
) -> list[Statement]:
    """Read ``release``'s wheelhouse folder only, and connect to the database as ``release.database_user``."""
    prefix = release.wheelhouse_prefix
    return [
        Statement(sid="ReadRelease", actions=("s3:GetObject",), resources=(f"{artifacts_bucket_arn}/{prefix}*",)),
        Statement(
            sid="ListRelease",
            actions=("s3:ListBucket",),
            resources=(artifacts_bucket_arn,),
            conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        ),
        Statement(
            sid="ConnectToServingDatabaseWithIamToken",
            actions=("rds-db:connect",),
            resources=(f"arn:aws:rds-db:{region}:{account_id}:dbuser:{database_resource_id}/{release.database_user}",),
        ),
    ]
