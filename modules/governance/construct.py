"""Lake Formation: administrators, LF-tags, the registered lake location and tag-based grants."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.lakeformation_data_lake_settings import LakeformationDataLakeSettings
from cdktf_cdktf_provider_aws.lakeformation_lf_tag import LakeformationLfTag
from cdktf_cdktf_provider_aws.lakeformation_permissions import (
    LakeformationPermissions,
    LakeformationPermissionsDataLocation,
    LakeformationPermissionsLfTagPolicy,
    LakeformationPermissionsLfTagPolicyExpression,
)
from cdktf_cdktf_provider_aws.lakeformation_resource import LakeformationResource
from constructs import Construct

from etl.lake import ZONES
from modules.governance.props import CLASSIFICATION_TAG, CLASSIFICATION_VALUES, ZONE_TAG, GovernanceProps, TagGrant


class Governance(Construct):
    """Lake Formation settings (administrators; no IAM-only default permissions, so new databases and tables
    are governed by Lake Formation), the ``data-classification`` and ``zone`` LF-tags, the lake bucket
    registered with its access role, and one LF-tag policy grant per principal and resource type.

    Exposes ``settings`` (new catalog databases should depend on it), ``classification_tag_key`` and
    ``zone_tag_key`` (references, so tag assignments wait for the tags).
    """

    def __init__(self, scope: Construct, construct_id: str, props: GovernanceProps) -> None:
        super().__init__(scope, construct_id)
        # Omitting the create-database/table default permissions leaves them empty: Lake Formation, not
        # IAMAllowedPrincipals, controls every new database and table.
        self.settings = LakeformationDataLakeSettings(
            self,
            "settings",
            admins=list(props.admin_arns),
            read_only_admins=list(props.read_only_admin_arns) or None,
        )
        classification_tag = LakeformationLfTag(
            self,
            "classification-tag",
            key=CLASSIFICATION_TAG,
            values=list(CLASSIFICATION_VALUES),
            depends_on=[self.settings],
        )
        zone_tag = LakeformationLfTag(self, "zone-tag", key=ZONE_TAG, values=list(ZONES), depends_on=[self.settings])
        self.classification_tag_key: str = classification_tag.key
        self.zone_tag_key: str = zone_tag.key
        location = LakeformationResource(
            self,
            "lake-location",
            arn=props.lake_bucket_arn,
            role_arn=props.lake_access_role_arn,
            hybrid_access_enabled=False,
            depends_on=[self.settings],
        )
        for index, principal in enumerate(props.data_location_principal_arns):
            LakeformationPermissions(
                self,
                f"data-location-{index}",
                principal=principal,
                permissions=["DATA_LOCATION_ACCESS"],
                data_location=LakeformationPermissionsDataLocation(arn=location.arn),
            )
        for name, grant in props.grants.items():
            self._grant(name, grant)

    def _grant(self, name: str, grant: TagGrant) -> None:
        zones = LakeformationPermissionsLfTagPolicyExpression(key=self.zone_tag_key, values=list(grant.zones))
        classifications = LakeformationPermissionsLfTagPolicyExpression(
            key=self.classification_tag_key, values=[c.value for c in grant.classifications]
        )
        LakeformationPermissions(
            self,
            f"{name}-databases",
            principal=grant.principal_arn,
            permissions=list(grant.database_permissions),
            lf_tag_policy=LakeformationPermissionsLfTagPolicy(resource_type="DATABASE", expression=[zones]),
        )
        LakeformationPermissions(
            self,
            f"{name}-tables",
            principal=grant.principal_arn,
            permissions=list(grant.table_permissions),
            lf_tag_policy=LakeformationPermissionsLfTagPolicy(
                resource_type="TABLE", expression=[zones, classifications]
            ),
        )
