"""Props of the ad-hoc query construct."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cdktf import ITerraformDependable

# Athena refuses a smaller per-query scan limit.
MIN_BYTES_SCANNED_CUTOFF = 10 * 1024 * 1024


@dataclass(frozen=True)
class AdHocQueryProps:
    """Inputs of ``AdHocQueries``.

    Attributes:
        name_prefix: ``northwind-<env>``; the workgroup is ``<prefix>-<workgroup>``.
        account_id: the environment's account; results go only to a bucket it owns.
        region: the environment's region (ARNs are regional).
        lake_bucket_name: the lake bucket; results go to ``reports/query-results/<workgroup>/`` in it.
        lake_bucket_arn: the same bucket's ARN, for the users' IAM statements.
        lake_kms_key_arn: encrypts the results (SSE-KMS), as every object of the lake.
        bytes_scanned_cutoff_per_query: Athena cancels a query once it has scanned this many bytes.
        user_role_arns: the roles that query through the workgroup; each gets Lake Formation DESCRIBE on the
            ``default`` database, which Athena requires of every user of Lake Formation data.
        after: resources the Lake Formation grant waits for (the data lake settings). Default: none.
        workgroup: the workgroup's component name and its results folder. Default: ``analytics``.
        engine_version: the Athena engine the workgroup pins. Default: ``Athena engine version 3``.
    """

    name_prefix: str
    account_id: str
    region: str
    lake_bucket_name: str
    lake_bucket_arn: str
    lake_kms_key_arn: str
    bytes_scanned_cutoff_per_query: int
    user_role_arns: tuple[str, ...]
    after: Sequence[ITerraformDependable] = field(default_factory=tuple)
    workgroup: str = "analytics"
    engine_version: str = "Athena engine version 3"

    def __post_init__(self) -> None:
        if self.bytes_scanned_cutoff_per_query < MIN_BYTES_SCANNED_CUTOFF:
            raise ValueError(
                f"AdHocQueryProps.bytes_scanned_cutoff_per_query: {self.bytes_scanned_cutoff_per_query} bytes is "
                f"below Athena's minimum of {MIN_BYTES_SCANNED_CUTOFF} (10 MB)"
            )
        if not re.fullmatch(r"[a-z][a-z0-9-]*", self.workgroup):
            raise ValueError(f"AdHocQueryProps.workgroup: {self.workgroup!r} must be lower-case letters, digits, -")
        if not self.user_role_arns:
            raise ValueError("AdHocQueryProps.user_role_arns: name at least one role that queries")
