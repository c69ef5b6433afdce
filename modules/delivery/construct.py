"""CodePipeline that promotes one environment's stack: source, plan (gate + ``cdktf diff``), manual approval,
deploy of the approved synthesized output (docs/adr/0041-delivery-pipeline.md)."""

from __future__ import annotations

import yaml
from cdktf_cdktf_provider_aws.codebuild_project import (
    CodebuildProject,
    CodebuildProjectArtifacts,
    CodebuildProjectEnvironment,
    CodebuildProjectEnvironmentEnvironmentVariable,
    CodebuildProjectLogsConfig,
    CodebuildProjectLogsConfigCloudwatchLogs,
    CodebuildProjectLogsConfigS3Logs,
    CodebuildProjectSource,
)
from cdktf_cdktf_provider_aws.codepipeline import (
    Codepipeline,
    CodepipelineArtifactStore,
    CodepipelineArtifactStoreEncryptionKey,
    CodepipelineStage,
    CodepipelineStageAction,
)
from cdktf_cdktf_provider_aws.codestarconnections_connection import CodestarconnectionsConnection
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules.delivery.props import DeliveryProps, StateLocation
from modules.naming import resource_name
from modules.observability import encrypted_log_group
from modules.policy import Statement, assume_role_policy, policy_json

SOURCE_ARTIFACT = "source"
PLAN_ARTIFACT = "plan"
# CodePipeline keeps an execution's artifacts under the first 20 characters of the pipeline's name.
ARTIFACT_FOLDER_LENGTH = 20
APPROVAL_MESSAGE = (
    "Platform lead: review the `cdktf diff` in the plan build's log for {stack}, then approve to deploy "
    "exactly that synthesized output, or reject."
)
# As in the Makefile: the pinned Node 22 and cdktf CLI from package.json win over the image's own Node.
USE_PROJECT_NODE = 'export PATH="$PWD/node_modules/.bin:$PATH"'
# The Terraform CLI cdktf drives; the standard image has none, so each build installs this release, verified
# against HashiCorp's published checksums.
TERRAFORM_VERSION = "1.11.4"
_TERRAFORM_RELEASE = f"https://releases.hashicorp.com/terraform/{TERRAFORM_VERSION}/terraform_{TERRAFORM_VERSION}"
INSTALL_TERRAFORM = (
    f"cd /tmp && curl -fsSLO {_TERRAFORM_RELEASE}_linux_amd64.zip && curl -fsSLO {_TERRAFORM_RELEASE}_SHA256SUMS"
    f" && grep linux_amd64.zip terraform_{TERRAFORM_VERSION}_SHA256SUMS | sha256sum -c -"
    f" && unzip -o -q terraform_{TERRAFORM_VERSION}_linux_amd64.zip -d /usr/local/bin && cd -"
)


def buildspec(commands: list[str], artifact_files: list[str] | None = None) -> str:
    """An inline CodeBuild buildspec (YAML) running ``commands``, publishing ``artifact_files`` if given."""
    spec: dict[str, object] = {
        "version": 0.2,
        "env": {"variables": {"CHECKPOINT_DISABLE": "1", "BC_SKIP_MAPPING": "TRUE"}},
        "phases": {
            # scripts/require-tools asks for Python 3.11 (as Glue 5.0); npm comes with the image.
            "install": {"runtime-versions": {"python": "3.11"}, "commands": [INSTALL_TERRAFORM]},
            "build": {"commands": commands},
        },
    }
    if artifact_files:
        spec["artifacts"] = {"files": artifact_files}
    return yaml.safe_dump(spec, sort_keys=False)


def plan_buildspec() -> str:
    """Synthesize and pass the policy gate, publish the service wheelhouse the stack points to (content-hashed,
    so it is inert until the deploy), then show the diff; the synthesized output (job scripts and the etl wheel
    included, as assets) is the artifact."""
    return buildspec(
        ["make synth ENV=$ENV", "make publish-wheelhouse ENV=$ENV", "make diff ENV=$ENV"], ["cdktf.out/**/*"]
    )


def deploy_buildspec(stack_name: str) -> str:
    """Apply the approved plan artifact as it is: no synthesis in this build."""
    return buildspec(
        [
            "npm ci --no-audit --no-fund --loglevel=error",
            f'rm -rf cdktf.out && cp -R "$CODEBUILD_SRC_DIR_{PLAN_ARTIFACT}/cdktf.out" cdktf.out',
            USE_PROJECT_NODE,
            f"cdktf deploy {stack_name} --skip-synth --auto-approve",
        ]
    )


def build_role_statements(props: DeliveryProps, connection_arn: str) -> list[Statement]:
    """What the delivery (CodeBuild) role needs beyond the identity module's artifacts, deploy-role and
    build-log grants: the stack's state object, its key and lock, and the GitHub connection."""
    state = props.state
    return [
        Statement(
            sid="ListStateKey",
            actions=("s3:ListBucket",),
            resources=(f"arn:aws:s3:::{state.bucket}",),
            conditions={"StringEquals": {"s3:prefix": state.key}},
        ),
        Statement(sid="ReadWriteState", actions=("s3:GetObject", "s3:PutObject"), resources=(state.object_arn,)),
        Statement(
            sid="LockState",
            actions=("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"),
            resources=(state.lock_table_arn,),
        ),
        # The key id is only known after bootstrap_state creates it; its alias identifies it. The state object
        # is encrypted with it through S3, and the lock table through DynamoDB: taking the lock reads and writes
        # an item of a table encrypted with this key, so DynamoDB uses it on the build's behalf.
        _use_state_key("UseStateKeyThroughS3", state, "s3", ("kms:Decrypt", "kms:GenerateDataKey")),
        _use_state_key(
            "UseStateKeyThroughDynamoDbForTheLock",
            state,
            "dynamodb",
            ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"),
        ),
        Statement(
            sid="UseGitHubConnection", actions=("codestar-connections:UseConnection",), resources=(connection_arn,)
        ),
    ]


def _use_state_key(sid: str, state: StateLocation, service: str, actions: tuple[str, ...]) -> Statement:
    return Statement(
        sid=sid,
        actions=actions,
        resources=(state.account_keys_arn,),
        conditions={
            "ForAnyValue:StringEquals": {"kms:ResourceAliases": [state.kms_key_alias]},
            "StringEquals": {"kms:ViaService": f"{service}.{state.region}.amazonaws.com"},
        },
    )


def pipeline_role_statements(
    props: DeliveryProps, project_arns: tuple[str, ...], connection_arn: str, pipeline_name: str
) -> list[Statement]:
    """The pipeline's own role: start its two builds, use the connection, move its artifacts, notify."""
    artifacts = f"{props.artifacts_bucket_arn}/{pipeline_name[:ARTIFACT_FOLDER_LENGTH]}/*"
    return [
        Statement(
            sid="RunBuilds", actions=("codebuild:BatchGetBuilds", "codebuild:StartBuild"), resources=project_arns
        ),
        Statement(
            sid="UseGitHubConnection", actions=("codestar-connections:UseConnection",), resources=(connection_arn,)
        ),
        Statement(
            sid="ReadWriteArtifacts",
            actions=("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"),
            resources=(artifacts,),
        ),
        _encrypt_through("EncryptArtifactsThroughS3", props.kms_key_arn, "s3", props.region),
        Statement(sid="NotifyApprovers", actions=("sns:Publish",), resources=(props.approval_topic_arn,)),
        _encrypt_through("EncryptNotificationsThroughSns", props.approval_topic_kms_key_arn, "sns", props.region),
    ]


def _encrypt_through(sid: str, key_arn: str, service: str, region: str) -> Statement:
    """Encrypt and decrypt with ``key_arn`` only in requests ``service`` makes on the caller's behalf."""
    return Statement(
        sid=sid,
        actions=("kms:Decrypt", "kms:GenerateDataKey"),
        resources=(key_arn,),
        conditions={"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}},
    )


class DeliveryPipeline(Construct):
    """A GitHub connection, the plan and deploy CodeBuild projects, and the V2 pipeline
    Source -> Plan -> Approval -> Deploy with its least-privilege role.

    Exposes ``connection``, ``plan_project``, ``deploy_project``, ``pipeline``, ``pipeline_role`` and
    ``log_group``. The build role itself belongs to the identity module; grant it ``build_role_statements``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: DeliveryProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        # Created PENDING; an administrator completes the GitHub handshake once in the console.
        self.connection = CodestarconnectionsConnection(
            self, "github-connection", name=props.connection_name, provider_type="GitHub"
        )
        self.log_group = encrypted_log_group(
            self,
            "build-log-group",
            name=f"/aws/codebuild/{resource_name(props.name_prefix, 'delivery')}",
            retention_days=props.log_retention_days,
            kms_key_arn=props.logs_kms_key_arn,
        )
        self.plan_project = self._project("plan", plan_buildspec())
        self.deploy_project = self._project("deploy", deploy_buildspec(props.stack_name))
        pipeline_name = resource_name(props.name_prefix, "delivery", max_length=100)
        self.pipeline_role = IamRole(
            self,
            "pipeline-role",
            name=resource_name(props.name_prefix, "delivery-pipeline-service", max_length=64),
            description="Northwind service role: the CodePipeline promoting this environment's stack",
            assume_role_policy=assume_role_policy(
                "codepipeline.amazonaws.com",
                source_account=props.account_id,
                source_arn=f"arn:aws:codepipeline:{props.region}:{props.account_id}:{pipeline_name}",
            ),
            max_session_duration=3600,
        )
        IamRolePolicy(
            self,
            "pipeline-role-policy",
            role=self.pipeline_role.id,
            name="delivery-pipeline-service-access",
            policy=policy_json(
                pipeline_role_statements(
                    props,
                    (self.plan_project.arn, self.deploy_project.arn),
                    self.connection.arn,
                    pipeline_name,
                )
            ),
        )
        self.pipeline = Codepipeline(
            self,
            "pipeline",
            name=pipeline_name,
            pipeline_type="V2",
            role_arn=self.pipeline_role.arn,
            artifact_store=[
                CodepipelineArtifactStore(
                    type="S3",
                    location=props.artifacts_bucket_name,
                    encryption_key=CodepipelineArtifactStoreEncryptionKey(id=props.kms_key_arn, type="KMS"),
                )
            ],
            stage=self._stages(),
        )

    def _project(self, kind: str, spec: str) -> CodebuildProject:
        props = self.props
        return CodebuildProject(
            self,
            f"{kind}-project",
            name=resource_name(props.name_prefix, f"delivery-{kind}", max_length=255),
            description=f"Northwind delivery: {kind} of stack {props.stack_name}",
            service_role=props.build_role_arn,
            encryption_key=props.kms_key_arn,
            build_timeout=props.build_timeout_minutes,
            source=CodebuildProjectSource(type="CODEPIPELINE", buildspec=spec),
            artifacts=CodebuildProjectArtifacts(type="CODEPIPELINE"),
            environment=CodebuildProjectEnvironment(
                type="LINUX_CONTAINER",
                compute_type="BUILD_GENERAL1_SMALL",
                image=props.build_image,
                privileged_mode=False,
                environment_variable=[
                    CodebuildProjectEnvironmentEnvironmentVariable(name="ENV", value=props.environment_name)
                ],
            ),
            logs_config=CodebuildProjectLogsConfig(
                cloudwatch_logs=CodebuildProjectLogsConfigCloudwatchLogs(
                    status="ENABLED", group_name=self.log_group.name, stream_name=kind
                ),
                s3_logs=CodebuildProjectLogsConfigS3Logs(status="DISABLED"),
            ),
        )

    def _stages(self) -> list[CodepipelineStage]:
        props = self.props
        return [
            _stage(
                "Source",
                CodepipelineStageAction(
                    name="GitHub",
                    category="Source",
                    owner="AWS",
                    provider="CodeStarSourceConnection",
                    version="1",
                    output_artifacts=[SOURCE_ARTIFACT],
                    configuration={
                        "ConnectionArn": self.connection.arn,
                        "FullRepositoryId": props.repository,
                        "BranchName": props.branch,
                        "DetectChanges": "true",
                    },
                ),
            ),
            _stage(
                "Plan",
                _build_action("SynthGateAndDiff", self.plan_project.name, [SOURCE_ARTIFACT], [PLAN_ARTIFACT]),
            ),
            _stage(
                "Approval",
                CodepipelineStageAction(
                    name="PlatformLeadReview",
                    category="Approval",
                    owner="AWS",
                    provider="Manual",
                    version="1",
                    configuration={
                        "NotificationArn": props.approval_topic_arn,
                        "CustomData": APPROVAL_MESSAGE.format(stack=props.stack_name),
                    },
                ),
            ),
            _stage(
                "Deploy",
                _build_action(
                    "DeployApprovedPlan",
                    self.deploy_project.name,
                    [SOURCE_ARTIFACT, PLAN_ARTIFACT],
                    [],
                    primary_source=SOURCE_ARTIFACT,
                ),
            ),
        ]


def _stage(name: str, action: CodepipelineStageAction) -> CodepipelineStage:
    return CodepipelineStage(name=name, action=[action])


def _build_action(
    name: str, project_name: str, inputs: list[str], outputs: list[str], primary_source: str | None = None
) -> CodepipelineStageAction:
    configuration = {"ProjectName": project_name}
    if primary_source:
        configuration["PrimarySource"] = primary_source
    return CodepipelineStageAction(
        name=name,
        category="Build",
        owner="AWS",
        provider="CodeBuild",
        version="1",
        input_artifacts=inputs,
        output_artifacts=outputs or None,
        configuration=configuration,
    )
