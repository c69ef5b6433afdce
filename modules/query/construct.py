"""An Athena workgroup for ad-hoc queries, and what its users need beside it."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.athena_workgroup import (
    AthenaWorkgroup,
    AthenaWorkgroupConfiguration,
    AthenaWorkgroupConfigurationEngineVersion,
    AthenaWorkgroupConfigurationResultConfiguration,
    AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration,
)
from cdktf_cdktf_provider_aws.lakeformation_permissions import (
    LakeformationPermissions,
    LakeformationPermissionsDatabase,
)
from constructs import Construct

from modules.lake import QUERY_RESULTS_PREFIX
from modules.naming import resource_name
from modules.policy import Statement
from modules.query.props import AdHocQueryProps

# Athena looks up the catalog's ``default`` database before every query of Lake Formation data.
DEFAULT_DATABASE = "default"
QUERY_ACTIONS = (
    "athena:BatchGetNamedQuery",
    "athena:BatchGetQueryExecution",
    "athena:CreateNamedQuery",
    "athena:DeleteNamedQuery",
    "athena:GetNamedQuery",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetQueryRuntimeStatistics",
    "athena:GetWorkGroup",
    "athena:ListNamedQueries",
    "athena:ListQueryExecutions",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
)
CATALOG_BROWSE_ACTIONS = (
    "athena:GetDataCatalog",
    "athena:GetDatabase",
    "athena:GetTableMetadata",
    "athena:ListDatabases",
    "athena:ListTableMetadata",
)


class AdHocQueries(Construct):
    """One Athena workgroup whose settings clients cannot override: results in the lake's reports zone under
    ``reports/query-results/<workgroup>/``, SSE-KMS with the lake key, in a bucket the account owns; a
    per-query scan limit; the pinned engine; CloudWatch metrics. Its users get Lake Formation DESCRIBE on the
    ``default`` database (data itself stays granted by LF-tags, docs/adr/0061-column-level-classification-tags.md).

    Exposes ``workgroup``, ``workgroup_name``, ``workgroup_arn``, ``results_location`` and
    ``user_statements()``: the IAM statements a user of the workgroup needs.
    """

    def __init__(self, scope: Construct, construct_id: str, props: AdHocQueryProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.results_prefix = f"{QUERY_RESULTS_PREFIX}{props.workgroup}/"
        self.results_location = f"s3://{props.lake_bucket_name}/{self.results_prefix}"
        self.workgroup = AthenaWorkgroup(
            self,
            "workgroup",
            name=resource_name(props.name_prefix, props.workgroup, max_length=128),
            description=f"{props.name_prefix}: ad-hoc SQL over the curated zone (Lake Formation column grants)",
            state="ENABLED",
            configuration=AthenaWorkgroupConfiguration(
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=props.bytes_scanned_cutoff_per_query,
                requester_pays_enabled=False,
                engine_version=AthenaWorkgroupConfigurationEngineVersion(selected_engine_version=props.engine_version),
                result_configuration=AthenaWorkgroupConfigurationResultConfiguration(
                    output_location=self.results_location,
                    expected_bucket_owner=props.account_id,
                    encryption_configuration=AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration(
                        encryption_option="SSE_KMS", kms_key_arn=props.lake_kms_key_arn
                    ),
                ),
            ),
        )
        self.workgroup_name: str = self.workgroup.name
        self.workgroup_arn: str = self.workgroup.arn
        for index, role_arn in enumerate(props.user_role_arns):
            LakeformationPermissions(
                self,
                f"default-database-describe-{index}",
                principal=role_arn,
                permissions=["DESCRIBE"],
                database=LakeformationPermissionsDatabase(name=DEFAULT_DATABASE),
                depends_on=list(props.after),
            )

    def user_statements(self) -> list[Statement]:
        """Run and read queries in this workgroup only, browse the catalog through Athena, and read and write
        this workgroup's results (IAM governs them: Lake Formation cannot govern a results location)."""
        props = self.props

        def regional(service: str, resource: str) -> str:
            return f"arn:aws:{service}:{props.region}:{props.account_id}:{resource}"

        results = f"{props.lake_bucket_arn}/{self.results_prefix}*"
        return [
            Statement(sid="QueryInTheWorkgroup", actions=QUERY_ACTIONS, resources=(self.workgroup_arn,)),
            # The console lists workgroups to offer this one; the API names no resource.
            Statement(sid="ListWorkgroups", actions=("athena:ListWorkGroups",), resources=("*",)),
            Statement(
                sid="BrowseTheCatalogThroughAthena",
                actions=CATALOG_BROWSE_ACTIONS,
                resources=(regional("athena", "datacatalog/AwsDataCatalog"),),
            ),
            Statement(
                sid="DescribeTheDefaultDatabase",
                actions=("glue:GetDatabase",),
                resources=(regional("glue", "catalog"), regional("glue", f"database/{DEFAULT_DATABASE}")),
            ),
            Statement(
                sid="LocateTheResultsBucket", actions=("s3:GetBucketLocation",), resources=(props.lake_bucket_arn,)
            ),
            Statement(
                sid="ListQueryResults",
                actions=("s3:ListBucket",),
                resources=(props.lake_bucket_arn,),
                conditions={"StringLike": {"s3:prefix": [f"{self.results_prefix}*"]}},
            ),
            Statement(
                sid="ReadWriteQueryResults",
                actions=("s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"),
                resources=(results,),
            ),
            Statement(
                sid="EncryptQueryResultsThroughS3",
                actions=("kms:Decrypt", "kms:GenerateDataKey"),
                resources=(props.lake_kms_key_arn,),
                conditions={"StringEquals": {"kms:ViaService": f"s3.{props.region}.amazonaws.com"}},
            ),
        ]
