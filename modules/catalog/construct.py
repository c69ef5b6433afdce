"""The Glue Data Catalog: a database per lake zone, catalog encryption and the jobs' security configuration."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.glue_catalog_database import GlueCatalogDatabase
from cdktf_cdktf_provider_aws.glue_data_catalog_encryption_settings import (
    GlueDataCatalogEncryptionSettings,
    GlueDataCatalogEncryptionSettingsDataCatalogEncryptionSettings,
    GlueDataCatalogEncryptionSettingsDataCatalogEncryptionSettingsConnectionPasswordEncryption,
    GlueDataCatalogEncryptionSettingsDataCatalogEncryptionSettingsEncryptionAtRest,
)
from cdktf_cdktf_provider_aws.glue_security_configuration import (
    GlueSecurityConfiguration,
    GlueSecurityConfigurationEncryptionConfiguration,
    GlueSecurityConfigurationEncryptionConfigurationCloudwatchEncryption,
    GlueSecurityConfigurationEncryptionConfigurationJobBookmarksEncryption,
    GlueSecurityConfigurationEncryptionConfigurationS3Encryption,
)
from cdktf_cdktf_provider_aws.lakeformation_resource_lf_tags import (
    LakeformationResourceLfTags,
    LakeformationResourceLfTagsDatabase,
    LakeformationResourceLfTagsLfTag,
)
from constructs import Construct

from etl.lake import ZONES
from modules.catalog.props import CatalogProps, database_name
from modules.naming import resource_name


class Catalog(Construct):
    """One Glue database per zone, tagged for Lake Formation; the catalog and its connection passwords
    encrypted with the lake key; a security configuration for the Glue jobs (SSE-KMS output, KMS-encrypted
    CloudWatch logs and job bookmarks).

    Exposes ``databases`` (zone -> ``GlueCatalogDatabase``), ``database_names`` (zone -> name),
    ``security_configuration_name``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: CatalogProps) -> None:
        super().__init__(scope, construct_id)
        GlueDataCatalogEncryptionSettings(
            self,
            "encryption",
            data_catalog_encryption_settings=GlueDataCatalogEncryptionSettingsDataCatalogEncryptionSettings(
                encryption_at_rest=GlueDataCatalogEncryptionSettingsDataCatalogEncryptionSettingsEncryptionAtRest(
                    catalog_encryption_mode="SSE-KMS", sse_aws_kms_key_id=props.lake_kms_key_arn
                ),
                connection_password_encryption=GlueDataCatalogEncryptionSettingsDataCatalogEncryptionSettingsConnectionPasswordEncryption(
                    return_connection_password_encrypted=True, aws_kms_key_id=props.lake_kms_key_arn
                ),
            ),
        )
        self.databases: dict[str, GlueCatalogDatabase] = {}
        for zone in ZONES:
            classification = props.zone_classifications[zone]
            database = GlueCatalogDatabase(
                self,
                f"{zone}-database",
                name=database_name(props.name_prefix, zone),
                description=f"Tables of the lake's {zone} zone",
                location_uri=f"s3://{props.lake_bucket_name}/{zone}/",
                tags={"data-classification": classification.value, "zone": zone},
                depends_on=list(props.after),
            )
            LakeformationResourceLfTags(
                self,
                f"{zone}-database-lf-tags",
                database=LakeformationResourceLfTagsDatabase(name=database.name),
                lf_tag=[
                    LakeformationResourceLfTagsLfTag(key=props.zone_tag_key, value=zone),
                    LakeformationResourceLfTagsLfTag(key=props.classification_tag_key, value=classification.value),
                ],
            )
            self.databases[zone] = database
        self.database_names: dict[str, str] = {zone: db.name for zone, db in self.databases.items()}
        security_configuration = GlueSecurityConfiguration(
            self,
            "jobs-security-configuration",
            name=resource_name(props.name_prefix, "glue-jobs", max_length=255),
            encryption_configuration=GlueSecurityConfigurationEncryptionConfiguration(
                s3_encryption=GlueSecurityConfigurationEncryptionConfigurationS3Encryption(
                    s3_encryption_mode="SSE-KMS", kms_key_arn=props.lake_kms_key_arn
                ),
                cloudwatch_encryption=GlueSecurityConfigurationEncryptionConfigurationCloudwatchEncryption(
                    cloudwatch_encryption_mode="SSE-KMS", kms_key_arn=props.logs_kms_key_arn
                ),
                job_bookmarks_encryption=GlueSecurityConfigurationEncryptionConfigurationJobBookmarksEncryption(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=props.lake_kms_key_arn
                ),
            ),
        )
        self.security_configuration_name: str = security_configuration.name
