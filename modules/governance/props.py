"""Props of the governance construct: Lake Formation administrators, LF-tags and tag-based grants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from etl.lake import ZONES
from modules.classification import SENSITIVITY_ORDER, Classification

# LF-tag keys. Databases carry both; tables inherit them, and a table registered for one dataset overrides the
# classification with its dataset's own (docs/adr/0012-lake-formation-tag-based-access.md).
CLASSIFICATION_TAG = "data-classification"
ZONE_TAG = "zone"
TABLE_PERMISSIONS = frozenset({"ALL", "ALTER", "DELETE", "DESCRIBE", "DROP", "INSERT", "SELECT"})
DATABASE_PERMISSIONS = frozenset({"ALTER", "CREATE_TABLE", "DESCRIBE", "DROP"})
CLASSIFICATION_VALUES = tuple(c.value for c in SENSITIVITY_ORDER)


@dataclass(frozen=True)
class TagGrant:
    """Lake Formation permissions for one principal on whatever carries matching LF-tags.

    Attributes:
        principal_arn: the IAM role granted.
        zones: the ``zone`` tag values matched (databases and tables).
        classifications: the ``data-classification`` tag values matched (tables).
        table_permissions: on matching tables, e.g. SELECT, DESCRIBE.
        database_permissions: on the zones' databases. Default: DESCRIBE.
    """

    principal_arn: str
    zones: tuple[str, ...]
    classifications: tuple[Classification, ...]
    table_permissions: tuple[str, ...]
    database_permissions: tuple[str, ...] = ("DESCRIBE",)

    def __post_init__(self) -> None:
        if not self.zones or set(self.zones) - set(ZONES):
            raise ValueError(f"TagGrant.zones: give zones among {', '.join(ZONES)} (got {self.zones})")
        if not self.classifications:
            raise ValueError("TagGrant.classifications: give at least one classification")
        for label, given, allowed in (
            ("table_permissions", self.table_permissions, TABLE_PERMISSIONS),
            ("database_permissions", self.database_permissions, DATABASE_PERMISSIONS),
        ):
            if not given or set(given) - allowed:
                raise ValueError(f"TagGrant.{label}: give permissions among {', '.join(sorted(allowed))}")
        if "ALL" in self.table_permissions:
            raise ValueError("TagGrant.table_permissions: list the permissions instead of ALL")


@dataclass(frozen=True)
class GovernanceProps:
    """Inputs of ``Governance``.

    Attributes:
        admin_arns: the data lake administrators (the deploy role, which manages tags and grants, and the
            governance persona); this list replaces any set by hand.
        lake_bucket_arn: the lake location registered with Lake Formation.
        lake_access_role_arn: the role Lake Formation uses to read and write the registered location.
        grants: name -> ``TagGrant``; names become construct ids.
        data_location_principal_arns: roles that may create tables pointing into the lake. Default: none.
        read_only_admin_arns: read-only data lake administrators: they see every grant and tag (the plan role
            reads them to plan) and can change none. Default: none.
    """

    admin_arns: tuple[str, ...]
    lake_bucket_arn: str
    lake_access_role_arn: str
    grants: Mapping[str, TagGrant]
    data_location_principal_arns: tuple[str, ...] = ()
    read_only_admin_arns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.admin_arns:
            raise ValueError("GovernanceProps.admin_arns: Lake Formation needs at least one administrator")
