"""What the analytics instances need beyond the identity module's instance role: the release's wheelhouse, the
serving database's host name (its SSM parameter) and an IAM login to it (no password: ``rds-db:connect`` for
one database user).

Two documents, because they are created at different times on a first apply: what the boot needs
(``boot_statements``) names nothing the database creates, so it exists before the instances launch; the login
(``database_login_statements``) names the database's resource id, so it exists only once the database does,
which is when the service first needs it.
"""

from __future__ import annotations

from modules.compute.props import ServiceRelease
from modules.policy import Statement


def boot_statements(
    release: ServiceRelease, artifacts_bucket_arn: str, database_address_parameter_arn: str
) -> list[Statement]:
    """Read ``release``'s wheelhouse folder only, and the parameter saying where the database is."""
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
            sid="FindTheServingDatabase", actions=("ssm:GetParameter",), resources=(database_address_parameter_arn,)
        ),
    ]


def database_login_statements(
    release: ServiceRelease, region: str, account_id: str, database_resource_id: str
) -> list[Statement]:
    """Connect to the serving database as ``release.database_user``, with an IAM token."""
    return [
        Statement(
            sid="ConnectToServingDatabaseWithIamToken",
            actions=("rds-db:connect",),
            resources=(f"arn:aws:rds-db:{region}:{account_id}:dbuser:{database_resource_id}/{release.database_user}",),
        ),
    ]
