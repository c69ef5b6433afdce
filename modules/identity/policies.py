"""What each persona and service role may do, as policy statements (pure functions of the props).

Resources are ARNs or ARN patterns under the environment's prefix. ``"*"`` appears only for actions AWS does not
scope to a resource (listed in tests/infra/test_identity.py with the reason for each).
"""

from __future__ import annotations

from dataclasses import dataclass

from etl.lake import ZONES
from modules.encryption.construct import DATA_KEY_ACTIONS, LOG_DELIVERY_CONTEXT, SCHEDULE_CONTEXT, STATE_MACHINE_CONTEXT
from modules.identity.props import IdentityProps, Persona, ServiceRole
from modules.policy import Statement

CATALOG_READ = (
    "glue:BatchGetPartition",
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:GetTable",
    "glue:GetTables",
)
CATALOG_WRITE = (
    "glue:BatchCreatePartition",
    "glue:BatchDeletePartition",
    "glue:CreatePartition",
    "glue:CreateTable",
    "glue:DeletePartition",
    "glue:DeleteTable",
    "glue:UpdatePartition",
    "glue:UpdateTable",
)
LOG_READ = ("logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:StartQuery")
# Session Manager's agent on the instances (the actions of AWS's AmazonSSMManagedInstanceCore that a
# shell-only instance needs); these APIs take no resource.
SESSION_MANAGER_AGENT = (
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


@dataclass(frozen=True)
class Arns:
    """The ARNs and ARN patterns the policies name, derived from the props."""

    props: IdentityProps

    def regional(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.props.region}:{self.props.account_id}:{resource}"

    def catalog(self, zones: tuple[str, ...]) -> tuple[str, ...]:
        names = [self.props.zone_database_names[zone] for zone in zones]
        return (
            self.regional("glue", "catalog"),
            *(self.regional("glue", f"database/{name}") for name in names),
            *(self.regional("glue", f"table/{name}/*") for name in names),
        )

    def glue_jobs(self) -> str:
        return self.regional("glue", f"job/{self.props.name_prefix}-*")

    def pipelines(self) -> str:
        return self.regional("states", f"stateMachine:{self.props.name_prefix}-pipeline-*")

    def pipeline_executions(self) -> str:
        return self.regional("states", f"execution:{self.props.name_prefix}-pipeline-*:*")

    def schedules(self) -> str:
        return self.regional("scheduler", f"schedule/*/{self.props.name_prefix}-*")

    def log_groups(self, *prefixes: str) -> tuple[str, ...]:
        return tuple(self.regional("logs", f"log-group:{prefix}*") for prefix in prefixes)

    def platform_roles(self) -> str:
        return f"arn:aws:iam::{self.props.account_id}:role/{self.props.name_prefix}-*"

    def lake_objects(self, zone: str | None = None) -> str:
        return f"{self.props.lake_bucket_arn}/{zone}/*" if zone else f"{self.props.lake_bucket_arn}/*"


# The IAM policy variable of the caller's unique id (role id:session name for a federated persona).
USER_ID = "aws:userid"
# The platform's own log groups (application, flow logs) and Glue's.
PLATFORM_LOGS = "/northwind/"
GLUE_LOGS = "/aws-glue/"


def _lf_data_access(sid: str = "LakeFormationDataAccess") -> Statement:
    # Lake Formation vends scoped credentials for the tables its grants allow; the API takes no resource.
    return Statement(sid=sid, actions=("lakeformation:GetDataAccess",), resources=("*",))


def _catalog_access(arns: Arns, read_zones: tuple[str, ...], write_zones: tuple[str, ...] = ()) -> list[Statement]:
    """Catalog reads (and table writes) on the zones' databases, and the lake key through Glue: the catalog is
    encrypted with it, so every catalog caller decrypts (and writers encrypt) through the Glue service."""
    props = arns.props
    statements = [Statement(sid="ReadCatalog", actions=CATALOG_READ, resources=arns.catalog(read_zones))]
    key_actions: tuple[str, ...] = ("kms:Decrypt",)
    if write_zones:
        statements.append(Statement(sid="ManageTables", actions=CATALOG_WRITE, resources=arns.catalog(write_zones)))
        key_actions = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
    statements.append(
        _use_key_through("UseCatalogKeyThroughGlue", props.lake_kms_key_arn, "glue", props.region, key_actions)
    )
    return statements


# What Step Functions needs to deliver execution logs to CloudWatch Logs, and to trace with X-Ray.
STATES_LOG_DELIVERY = (
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
)
XRAY_TRACING = ("xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments")


def _job_metrics(*namespaces: str) -> Statement:
    """Glue's job and observability metrics (namespace Glue), and the pipeline's own where given."""
    return Statement(
        sid="PublishJobMetrics",
        actions=("cloudwatch:PutMetricData",),
        resources=("*",),
        conditions={"StringEquals": {"cloudwatch:namespace": ["Glue", *namespaces]}},
    )


def _glue_job_network(arns: Arns) -> list[Statement]:
    """What a job with a Glue connection needs: Glue puts its network interfaces into the connection's subnet
    as the job's role (AWS's documented set: describe calls take no resource; tags only Glue's own)."""
    regional = arns.regional
    return [
        Statement(
            sid="ReadConnections",
            actions=("glue:GetConnection",),
            resources=(regional("glue", "catalog"), regional("glue", f"connection/{arns.props.name_prefix}-*")),
        ),
        Statement(
            sid="DescribeJobNetwork",
            actions=(
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcAttribute",
                "ec2:DescribeVpcEndpoints",
                "ec2:DescribeVpcs",
            ),
            resources=("*",),
        ),
        Statement(
            sid="ManageJobNetworkInterfaces",
            actions=("ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"),
            resources=(
                regional("ec2", "network-interface/*"),
                regional("ec2", "subnet/*"),
                regional("ec2", "security-group/*"),
            ),
        ),
        Statement(
            sid="TagJobNetworkInterfaces",
            actions=("ec2:CreateTags", "ec2:DeleteTags"),
            resources=(regional("ec2", "network-interface/*"),),
            conditions={"ForAllValues:StringEquals": {"aws:TagKeys": ["aws-glue-service-resource"]}},
        ),
    ]


def _metrics_read() -> Statement:
    return Statement(
        sid="ReadMetricsAndAlarms",
        actions=("cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "cloudwatch:ListMetrics"),
        resources=("*",),
    )


# Following the pipelines' runs and rerunning a day (docs/runbooks/pipeline-failure.md).
PIPELINE_OPERATION = (
    "states:DescribeExecution",
    "states:DescribeStateMachine",
    "states:GetExecutionHistory",
    "states:ListExecutions",
    "states:RedriveExecution",
    "states:StartExecution",
)


def _pipelines_key_through_step_functions(sid: str, arns: Arns) -> Statement:
    """The pipelines key as Step Functions uses it for a caller (starting, reading an execution), only for this
    environment's pipelines."""
    props = arns.props
    return Statement(
        sid=sid,
        actions=DATA_KEY_ACTIONS,
        resources=(props.pipelines_kms_key_arn,),
        conditions={
            "StringEquals": {"kms:ViaService": f"states.{props.region}.amazonaws.com"},
            "ArnLike": {STATE_MACHINE_CONTEXT: arns.pipelines()},
        },
    )


def _pipeline_operation(arns: Arns) -> list[Statement]:
    return [
        Statement(
            sid="FollowAndRerunPipelines",
            actions=PIPELINE_OPERATION,
            resources=(arns.pipelines(), arns.pipeline_executions()),
        ),
        _pipelines_key_through_step_functions("ReadPipelineRunsThroughStepFunctions", arns),
    ]


def _use_key_through(sid: str, key_arn: str, service: str, region: str, actions: tuple[str, ...]) -> Statement:
    return Statement(
        sid=sid,
        actions=actions,
        resources=(key_arn,),
        conditions={"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}},
    )


def persona_statements(persona: Persona, props: IdentityProps) -> list[Statement]:
    """The IAM half of a persona's access; lake data itself is granted by Lake Formation tags."""
    arns = Arns(props)
    glue_logs = arns.log_groups(GLUE_LOGS)
    if persona is Persona.DATA_ENGINEER:
        return [
            *_catalog_access(arns, ZONES, ZONES),
            _lf_data_access(),
            Statement(
                sid="RunPlatformJobs",
                actions=(
                    "glue:BatchStopJobRun",
                    "glue:GetJob",
                    "glue:GetJobRun",
                    "glue:GetJobRuns",
                    "glue:StartJobRun",
                ),
                resources=(arns.glue_jobs(),),
            ),
            Statement(sid="ReadJobLogs", actions=LOG_READ, resources=glue_logs),
            *_pipeline_operation(arns),
            Statement(
                sid="ReadJobArtifacts",
                actions=("s3:GetObject", "s3:ListBucket"),
                resources=(props.artifacts_bucket_arn, f"{props.artifacts_bucket_arn}/*"),
            ),
            _use_key_through("DecryptArtifacts", props.lake_kms_key_arn, "s3", props.region, ("kms:Decrypt",)),
        ]
    if persona is Persona.ANALYTICS_ENGINEER:
        zones = ("curated", "reports")
        return [
            *_catalog_access(arns, zones, ("reports",)),
            _lf_data_access(),
            Statement(
                sid="FollowJobRuns",
                actions=("glue:GetJob", "glue:GetJobRun", "glue:GetJobRuns"),
                resources=(arns.glue_jobs(),),
            ),
            Statement(sid="ReadJobLogs", actions=LOG_READ, resources=glue_logs),
        ]
    if persona is Persona.APPLICATION_ENGINEER:
        return [
            *_catalog_access(arns, ("curated",)),
            _lf_data_access(),
            Statement(sid="ReadServiceLogs", actions=LOG_READ, resources=arns.log_groups(PLATFORM_LOGS)),
            _metrics_read(),
        ]
    if persona is Persona.GOVERNANCE_SECURITY:
        return _governance_statements(arns, props)
    return _devops_statements(arns, props)


def _governance_statements(arns: Arns, props: IdentityProps) -> list[Statement]:
    return [
        *_catalog_access(arns, ZONES),
        Statement(
            # Lake Formation administration (this role is a data lake administrator); these APIs take no ARN.
            sid="AdministerLakeFormation",
            actions=(
                "lakeformation:AddLFTagsToResource",
                "lakeformation:BatchGrantPermissions",
                "lakeformation:BatchRevokePermissions",
                "lakeformation:DescribeResource",
                "lakeformation:GetDataLakeSettings",
                "lakeformation:GetEffectivePermissionsForPath",
                "lakeformation:GetLFTag",
                "lakeformation:GetResourceLFTags",
                "lakeformation:GrantPermissions",
                "lakeformation:ListLFTags",
                "lakeformation:ListPermissions",
                "lakeformation:ListResources",
                "lakeformation:RemoveLFTagsFromResource",
                "lakeformation:RevokePermissions",
                "lakeformation:SearchDatabasesByLFTags",
                "lakeformation:SearchTablesByLFTags",
            ),
            resources=("*",),
        ),
        Statement(
            sid="AuditPlatformRoles",
            actions=("iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"),
            resources=(arns.platform_roles(),),
        ),
        Statement(
            sid="AuditBucketSettings",
            actions=(
                "s3:GetBucketLogging",
                "s3:GetBucketPolicy",
                "s3:GetBucketPublicAccessBlock",
                "s3:GetBucketTagging",
                "s3:GetBucketVersioning",
                "s3:GetEncryptionConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:GetReplicationConfiguration",
            ),
            resources=(props.lake_bucket_arn, props.artifacts_bucket_arn),
        ),
        Statement(
            sid="AuditKeys",
            actions=("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus"),
            resources=(props.lake_kms_key_arn, props.secrets_kms_key_arn),
        ),
        Statement(sid="ReadAuditTrail", actions=("cloudtrail:LookupEvents",), resources=("*",)),
    ]


def _devops_statements(arns: Arns, props: IdentityProps) -> list[Statement]:
    regional = arns.regional
    prefix = props.name_prefix
    return [
        _metrics_read(),
        Statement(sid="ReadLogs", actions=LOG_READ, resources=arns.log_groups(PLATFORM_LOGS, GLUE_LOGS)),
        Statement(
            sid="RerunJobs",
            actions=("glue:GetJob", "glue:GetJobRun", "glue:GetJobRuns", "glue:StartJobRun"),
            resources=(arns.glue_jobs(),),
        ),
        *_pipeline_operation(arns),
        Statement(
            sid="OperateDatabase",
            actions=("rds:DescribeDBInstances", "rds:RebootDBInstance"),
            resources=(regional("rds", f"db:{prefix}-*"),),
        ),
        Statement(
            sid="RefreshInstances",
            actions=("autoscaling:StartInstanceRefresh",),
            resources=(regional("autoscaling", f"autoScalingGroup:*:autoScalingGroupName/{prefix}-*"),),
        ),
        Statement(
            sid="DescribeCompute",
            actions=(
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeInstanceRefreshes",
                "ec2:DescribeInstances",
            ),
            resources=("*",),
        ),
        Statement(
            sid="StartSessionsOnThisEnvironmentsAnalyticsInstances",
            actions=("ssm:StartSession",),
            resources=(regional("ec2", "instance/*"),),
            # EC2 Auto Scaling tags each instance it launches with its group's name.
            conditions={"StringEquals": {"ssm:resourceTag/aws:autoscaling:groupName": props.session_instance_group}},
        ),
        Statement(
            sid="StartSessionsWithTheStandardShellDocumentOnly",
            actions=("ssm:StartSession",),
            resources=(f"arn:aws:ssm:{props.region}::document/SSM-SessionManagerRunShell",),
            conditions={"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}},
        ),
        Statement(
            sid="ResumeAndEndOwnSessionsOnly",
            actions=("ssm:ResumeSession", "ssm:TerminateSession"),
            resources=(regional("ssm", "session/*"),),
            # Session Manager tags each session with the id of the caller who started it (AWS's documented form
            # for federated users); "$$" keeps Terraform from reading the IAM policy variable as its own.
            conditions={"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": [f"$${{{USER_ID}}}*"]}},
        ),
    ]


def _pii_free_curated_reads(props: IdentityProps) -> list[Statement]:
    """Direct S3 reads of the curated prefixes that hold no PII; everything else goes through Lake Formation,
    which filters PII by tag (an S3 prefix grant cannot)."""
    prefixes = [f"curated/{dataset}/" for dataset in props.instance_readable_datasets]
    if not prefixes:
        return []
    return [
        Statement(
            sid="ListPiiFreeCurated",
            actions=("s3:ListBucket",),
            resources=(props.lake_bucket_arn,),
            conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}},
        ),
        Statement(
            sid="ReadPiiFreeCurated",
            actions=("s3:GetObject",),
            resources=tuple(f"{props.lake_bucket_arn}/{prefix}*" for prefix in prefixes),
        ),
        _use_key_through("DecryptCuratedThroughS3", props.lake_kms_key_arn, "s3", props.region, ("kms:Decrypt",)),
    ]


def service_statements(service: ServiceRole, props: IdentityProps) -> list[Statement]:
    """What a service role may do."""
    arns = Arns(props)
    lake = props.lake_bucket_arn
    if service is ServiceRole.GLUE_JOBS:
        return [
            Statement(
                sid="ListLake",
                actions=("s3:GetBucketLocation", "s3:ListBucket"),
                resources=(lake, props.artifacts_bucket_arn),
            ),
            Statement(
                sid="ReadWriteLakeObjects",
                actions=("s3:DeleteObject", "s3:GetObject", "s3:PutObject"),
                resources=(arns.lake_objects(),),
            ),
            Statement(
                sid="ReadJobArtifacts", actions=("s3:GetObject",), resources=(f"{props.artifacts_bucket_arn}/glue/*",)
            ),
            # Direct key use, not only through S3 and Glue: job bookmarks are encrypted client-side (CSE-KMS); the
            # key policy admits this role through a KMS grant (modules/identity/construct.py).
            Statement(
                sid="UseLakeKey",
                actions=("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
                resources=(props.lake_kms_key_arn,),
            ),
            *_catalog_access(arns, ZONES, ZONES),
            _lf_data_access(),
            Statement(
                sid="WriteJobLogs",
                actions=("logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
                resources=arns.log_groups(GLUE_LOGS),
            ),
            _job_metrics(props.pipeline_metrics_namespace),
            *_glue_job_network(arns),
        ]
    if service is ServiceRole.GLUE_SERVING_BOOTSTRAP:
        return [
            Statement(
                sid="ReadJobArtifacts", actions=("s3:GetObject",), resources=(f"{props.artifacts_bucket_arn}/glue/*",)
            ),
            _use_key_through("DecryptArtifactsThroughS3", props.lake_kms_key_arn, "s3", props.region, ("kms:Decrypt",)),
            Statement(
                sid="WriteJobLogs",
                actions=("logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
                resources=arns.log_groups(GLUE_LOGS),
            ),
            _job_metrics(),
            *_glue_job_network(arns),
        ]
    if service is ServiceRole.GLUE_ERASURE:
        return _erasure_statements(arns, props)
    if service is ServiceRole.PIPELINE_ORCHESTRATION:
        return [
            Statement(
                sid="RunPipelineJobs",
                actions=("glue:BatchStopJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:StartJobRun"),
                resources=(arns.glue_jobs(),),
            ),
            # Step Functions' log delivery and X-Ray APIs take no resource (AWS documents Resource "*").
            Statement(sid="DeliverExecutionLogs", actions=STATES_LOG_DELIVERY, resources=("*",)),
            Statement(sid="TraceExecutions", actions=XRAY_TRACING, resources=("*",)),
            # The execution role calls KMS as itself (Step Functions' documented form has no kms:ViaService).
            Statement(
                sid="EncryptItsExecutionsWithThePipelinesKey",
                actions=DATA_KEY_ACTIONS,
                resources=(props.pipelines_kms_key_arn,),
                conditions={"ArnLike": {STATE_MACHINE_CONTEXT: arns.pipelines()}},
            ),
            Statement(
                sid="EncryptExecutionLogsForTheirDelivery",
                actions=("kms:GenerateDataKey",),
                resources=(props.pipelines_kms_key_arn,),
                conditions={"ArnLike": {LOG_DELIVERY_CONTEXT: arns.regional("logs", "*")}},
            ),
        ]
    if service is ServiceRole.PIPELINE_SCHEDULER:
        return [
            Statement(sid="StartPipelines", actions=("states:StartExecution",), resources=(arns.pipelines(),)),
            Statement(
                sid="DecryptSchedulePayloads",
                actions=("kms:Decrypt",),
                resources=(props.pipelines_kms_key_arn,),
                conditions={"ArnLike": {SCHEDULE_CONTEXT: arns.schedules()}},
            ),
            _pipelines_key_through_step_functions("EncryptExecutionInputThroughStepFunctions", arns),
        ]
    if service is ServiceRole.ANALYTICS_INSTANCES:
        return [
            *_pii_free_curated_reads(props),
            Statement(
                sid="PublishServiceMetrics",
                actions=("cloudwatch:PutMetricData",),
                resources=("*",),
                conditions={"StringEquals": {"cloudwatch:namespace": props.metrics_namespace}},
            ),
            Statement(sid="SessionManagerAgent", actions=SESSION_MANAGER_AGENT, resources=("*",)),
        ]
    return [
        # Lake Formation reads and writes registered lake locations with this role on behalf of its grantees.
        Statement(sid="ListLake", actions=("s3:ListBucket",), resources=(lake,)),
        Statement(
            sid="ReadWriteLakeObjects",
            actions=("s3:DeleteObject", "s3:GetObject", "s3:PutObject"),
            resources=(arns.lake_objects(),),
        ),
        _use_key_through(
            "UseLakeKeyThroughS3",
            props.lake_kms_key_arn,
            "s3",
            props.region,
            ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
        ),
    ]


# What erasure rewrites (raw, curated, quarantine) and where it keeps its requests and audit records.
ERASED_PREFIXES = ("raw/", "curated/", "quarantine/", "reports/erasure/")
VERSION_ACTIONS = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
)


def _erasure_statements(arns: Arns, props: IdentityProps) -> list[Statement]:
    """The erasure job (docs/adr/0069-erasure-of-one-customer.md): every version of the zones that hold rows,
    nothing else of the lake; the replica and the serving login are granted by the stack, which knows them."""
    lake = props.lake_bucket_arn
    return [
        Statement(
            sid="ReadJobArtifacts", actions=("s3:GetObject",), resources=(f"{props.artifacts_bucket_arn}/glue/*",)
        ),
        Statement(
            sid="ListLakeVersions",
            actions=("s3:ListBucket", "s3:ListBucketVersions"),
            resources=(lake,),
            conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in ERASED_PREFIXES]}},
        ),
        Statement(
            sid="RewriteAndDeleteVersions",
            actions=VERSION_ACTIONS,
            resources=tuple(f"{lake}/{prefix}*" for prefix in ERASED_PREFIXES),
        ),
        _use_key_through(
            "UseLakeKeyThroughS3",
            props.lake_kms_key_arn,
            "s3",
            props.region,
            ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
        ),
        Statement(
            sid="WriteJobLogs",
            actions=("logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
            resources=arns.log_groups(GLUE_LOGS),
        ),
        _job_metrics(),
        *_glue_job_network(arns),
    ]
