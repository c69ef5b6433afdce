"""The Glue Data Catalog: a database per lake zone, catalog encryption and the jobs' security configuration."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.glue_catalog_database import GlueCatalogDatabase
from cdktf_cdktf_provider_aws.glue_catalog_table import (
    GlueCatalogTable,
    GlueCatalogTablePartitionKeys,
    GlueCatalogTableStorageDescriptor,
    GlueCatalogTableStorageDescriptorColumns,
    GlueCatalogTableStorageDescriptorSerDeInfo,
)
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
    LakeformationResourceLfTagsTable,
    LakeformationResourceLfTagsTableWithColumns,
)
from constructs import Construct

from etl.lake import ZONES
from modules.catalog.props import CatalogProps, database_name
from modules.catalog.tables import CatalogTable
from modules.naming import resource_name

# Hive's Parquet formats and SerDe, which Athena, Glue and Spark all read.
PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


class Catalog(Construct):
    """One Glue database per zone, tagged for Lake Formation; the tables of ``props.tables`` in them, each
    tagged with its classification and its differently classified columns with theirs; the catalog and its
    connection passwords encrypted with the lake key; a security configuration for the Glue jobs (SSE-KMS
    output, KMS-encrypted CloudWatch logs and job bookmarks).

    Exposes ``databases`` (zone -> ``GlueCatalogDatabase``), ``database_names`` (zone -> name), ``tables``
    ((zone, name) -> ``GlueCatalogTable``), ``security_configuration_name``.
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
        self.tables: dict[tuple[str, str], GlueCatalogTable] = {}
        for table in props.tables:
            self.tables[(table.zone, table.name)] = self._register(table, props)
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

    def _register(self, spec: CatalogTable, props: CatalogProps) -> GlueCatalogTable:
        """The table, its ``data-classification`` LF-tag, then one tag per group of differently classified
        columns (one after another: Lake Formation refuses concurrent tag changes on one table)."""
        construct_id = f"{spec.zone}-{spec.name}"
        projection = {"projection.enabled": "true", **spec.projection} if spec.projection else {}
        table = GlueCatalogTable(
            self,
            f"{construct_id}-table",
            database_name=self.databases[spec.zone].name,
            name=spec.name,
            description=spec.description,
            table_type="EXTERNAL_TABLE",
            parameters={
                "classification": "parquet",
                "EXTERNAL": "TRUE",
                "parquet.compression": "SNAPPY",
                "contract_version": spec.contract_version,
                **projection,
            },
            partition_keys=[
                GlueCatalogTablePartitionKeys(name=key.name, type=key.type, comment=key.comment or None)
                for key in spec.partition_keys
            ],
            storage_descriptor=GlueCatalogTableStorageDescriptor(
                location=f"s3://{props.lake_bucket_name}/{spec.location_key}",
                input_format=PARQUET_INPUT_FORMAT,
                output_format=PARQUET_OUTPUT_FORMAT,
                ser_de_info=GlueCatalogTableStorageDescriptorSerDeInfo(
                    serialization_library=PARQUET_SERDE, parameters={"serialization.format": "1"}
                ),
                columns=[
                    GlueCatalogTableStorageDescriptorColumns(name=c.name, type=c.type, comment=c.comment or None)
                    for c in spec.columns
                ],
            ),
        )
        previous = LakeformationResourceLfTags(
            self,
            f"{construct_id}-lf-tags",
            table=LakeformationResourceLfTagsTable(database_name=table.database_name, name=table.name),
            lf_tag=[
                LakeformationResourceLfTagsLfTag(key=props.classification_tag_key, value=spec.classification.value)
            ],
        )
        for classification, names in spec.column_overrides().items():
            previous = LakeformationResourceLfTags(
                self,
                f"{construct_id}-{classification.value}-columns-lf-tags",
                table_with_columns=LakeformationResourceLfTagsTableWithColumns(
                    database_name=table.database_name, name=table.name, column_names=list(names)
                ),
                lf_tag=[LakeformationResourceLfTagsLfTag(key=props.classification_tag_key, value=classification.value)],
                depends_on=[previous],
            )
        return table
