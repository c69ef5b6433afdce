"""The one promotion pipeline: Source -> Build -> per environment Plan -> Approve -> Apply -> SmokeTest
(docs/adr/0090-one-promotion-pipeline-in-a-delivery-account.md)."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.codebuild_project import (
    CodebuildProject,
    CodebuildProjectArtifacts,
    CodebuildProjectEnvironment,
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
    CodepipelineTrigger,
    CodepipelineTriggerGitConfiguration,
    CodepipelineTriggerGitConfigurationPush,
    CodepipelineTriggerGitConfigurationPushBranches,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules.delivery.buildspecs import (
    BUILT_ARTIFACT,
    SOURCE_ARTIFACT,
    apply_buildspec,
    build_buildspec,
    live_artifact,
    plan_artifact,
    plan_buildspec,
    smoke_buildspec,
    verified_artifact,
)
from modules.delivery.props import DeliveryProps, PromotionTarget
from modules.delivery.roles import (
    build_step_statements,
    pipeline_statements,
    rollback_lookup_statement,
    service_trust,
)
from modules.naming import resource_name
from modules.observability import encrypted_log_group
from modules.policy import Statement, policy_json

SOURCE_NAMESPACE = "SourceVariables"
# The pipeline processes one execution at a time per stage, in the order they arrived: a newer commit waits
# behind the one being promoted and never supersedes it (nor a plan awaiting approval).
EXECUTION_MODE = "QUEUED"
APPROVAL_MESSAGE = (
    "{stack}: #{{{ns}.PLAN_HEADLINE}} Approving applies exactly this saved plan (sha256 #{{{ns}.PLAN_SHA256}}) "
    "of commit #{{SourceVariables.CommitId}}; the full summary is in the linked plan build log."
)


class DeliveryPipeline(Construct):
    """The build log group, one CodeBuild project and role per step (the build, then plan, apply and smoke
    test per environment), and the V2 pipeline with its own role.

    Exposes ``log_group``, ``projects`` (project name -> ``CodebuildProject``), ``roles`` (role name ->
    ``IamRole``), ``pipeline`` and ``pipeline_role``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: DeliveryProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.projects: dict[str, CodebuildProject] = {}
        self.roles: dict[str, IamRole] = {}
        log_group_name = f"/aws/codebuild/{props.name_prefix}"
        self.log_group = encrypted_log_group(
            self,
            "build-log-group",
            name=log_group_name,
            retention_days=props.log_retention_days,
            kms_key_arn=props.logs_kms_key_arn,
        )
        self._log_group_arn = f"arn:aws:logs:{props.region}:{props.account_id}:log-group:{log_group_name}"
        stages = [self._source_stage(), self._build_stage()]
        previous: PromotionTarget | None = None
        for target in props.targets:
            stages.append(self._environment_stage(target, previous))
            previous = target
        self.pipeline_role = IamRole(
            self,
            "pipeline-role",
            name=resource_name(props.name_prefix, "pipeline", max_length=64),
            description="Northwind delivery: the CodePipeline promoting each commit dev -> stage -> prod",
            assume_role_policy=service_trust("codepipeline.amazonaws.com", props.account_id, props.pipeline_arn),
            max_session_duration=3600,
        )
        IamRolePolicy(
            self,
            "pipeline-role-policy",
            role=self.pipeline_role.id,
            name="promotion-pipeline",
            policy=policy_json(pipeline_statements(props, tuple(p.arn for p in self.projects.values()))),
        )
        self.pipeline = Codepipeline(
            self,
            "pipeline",
            name=props.pipeline_name,
            pipeline_type="V2",
            execution_mode=EXECUTION_MODE,
            role_arn=self.pipeline_role.arn,
            artifact_store=[
                CodepipelineArtifactStore(
                    type="S3",
                    location=props.artifacts_bucket_name,
                    encryption_key=CodepipelineArtifactStoreEncryptionKey(id=props.artifacts_kms_key_arn, type="KMS"),
                )
            ],
            trigger=[
                CodepipelineTrigger(
                    provider_type="CodeStarSourceConnection",
                    git_configuration=CodepipelineTriggerGitConfiguration(
                        source_action_name="GitHub",
                        push=[
                            CodepipelineTriggerGitConfigurationPush(
                                branches=CodepipelineTriggerGitConfigurationPushBranches(includes=[props.branch])
                            )
                        ],
                    ),
                )
            ],
            stage=stages,
        )

    def _step(
        self,
        role_name: str,
        spec: str,
        description: str,
        reads: tuple[str, ...],
        writes: str,
        assumes: str | None = None,
        extra: tuple[Statement, ...] = (),
    ) -> CodebuildProject:
        """One build step: its role (reading ``reads``, writing ``writes``) and its project of the same name."""
        props = self.props
        role = IamRole(
            self,
            f"{role_name}-role",
            name=role_name,
            description=f"Northwind delivery: {description}",
            assume_role_policy=service_trust("codebuild.amazonaws.com", props.account_id, props.project_arn(role_name)),
            max_session_duration=3600,
        )
        IamRolePolicy(
            self,
            f"{role_name}-policy",
            role=role.id,
            name="build-step",
            policy=policy_json([*build_step_statements(props, self._log_group_arn, reads, (writes,), assumes), *extra]),
        )
        project = CodebuildProject(
            self,
            f"{role_name}-project",
            name=role_name,
            description=f"Northwind delivery: {description}",
            service_role=role.arn,
            encryption_key=props.artifacts_kms_key_arn,
            build_timeout=props.build_timeout_minutes,
            source=CodebuildProjectSource(type="CODEPIPELINE", buildspec=spec),
            artifacts=CodebuildProjectArtifacts(type="CODEPIPELINE"),
            environment=CodebuildProjectEnvironment(
                type="LINUX_CONTAINER",
                compute_type="BUILD_GENERAL1_SMALL",
                image=props.build_image,
                privileged_mode=False,
            ),
            logs_config=CodebuildProjectLogsConfig(
                cloudwatch_logs=CodebuildProjectLogsConfigCloudwatchLogs(
                    status="ENABLED", group_name=self.log_group.name, stream_name=role_name
                ),
                s3_logs=CodebuildProjectLogsConfigS3Logs(status="DISABLED"),
            ),
        )
        self.roles[role_name] = role
        self.projects[role_name] = project
        return project

    def _source_stage(self) -> CodepipelineStage:
        props = self.props
        action = CodepipelineStageAction(
            name="GitHub",
            category="Source",
            owner="AWS",
            provider="CodeStarSourceConnection",
            version="1",
            namespace=SOURCE_NAMESPACE,
            output_artifacts=[SOURCE_ARTIFACT],
            configuration={
                "ConnectionArn": props.connection_arn,
                "FullRepositoryId": props.repository,
                "BranchName": props.branch,
                "DetectChanges": "true",
            },
        )
        return CodepipelineStage(name="Source", action=[action])

    def _build_stage(self) -> CodepipelineStage:
        props = self.props
        project = self._step(
            props.build_role_name,
            build_buildspec(),
            "synthesize and gate every stack, build the release artifacts (once per commit)",
            reads=(SOURCE_ARTIFACT,),
            writes=BUILT_ARTIFACT,
        )
        return CodepipelineStage(
            name="Build", action=[_build_action("Build", project.name, [SOURCE_ARTIFACT], BUILT_ARTIFACT, 1)]
        )

    def _environment_stage(self, target: PromotionTarget, previous: PromotionTarget | None) -> CodepipelineStage:
        """Plan -> Approve -> Apply -> SmokeTest of one environment, in one stage: CodePipeline lets one execution
        into a stage at a time, so nothing changes the environment between its plan and its apply."""
        env, roles = target.environment, target.roles
        plan, live, verified = plan_artifact(env), live_artifact(env), verified_artifact(env)
        plan_inputs = (BUILT_ARTIFACT, verified_artifact(previous.environment)) if previous else (BUILT_ARTIFACT,)
        plan_project = self._step(
            roles.plan,
            plan_buildspec(target, previous),
            f"plan {target.stack_name} with its read-only role",
            reads=plan_inputs,
            writes=plan,
            assumes=target.plan_role_arn,
        )
        apply_project = self._step(
            roles.apply,
            apply_buildspec(target),
            f"apply the approved saved plan of {target.stack_name}",
            reads=(BUILT_ARTIFACT, plan),
            writes=live,
            assumes=target.deploy_role_arn,
        )
        smoke_project = self._step(
            roles.smoke,
            smoke_buildspec(target, self.props.pipeline_name),
            f"smoke-test {target.stack_name} after its apply",
            reads=(BUILT_ARTIFACT, plan, live),
            writes=verified,
            assumes=target.smoke_test_role_arn,
            extra=(rollback_lookup_statement(self.props),),
        )
        return CodepipelineStage(
            name=target.stage_name,
            action=[
                _build_action("Plan", plan_project.name, list(plan_inputs), plan, 1, namespace=plan),
                self._approval(target, plan_project.name, plan),
                _build_action(
                    "Apply",
                    apply_project.name,
                    [BUILT_ARTIFACT, plan],
                    live,
                    3,
                    variables={"APPROVED_PLAN_SHA256": f"#{{{plan}.PLAN_SHA256}}"},
                ),
                _build_action("SmokeTest", smoke_project.name, [BUILT_ARTIFACT, plan, live], verified, 4),
            ],
        )

    def _approval(self, target: PromotionTarget, plan_project: str, namespace: str) -> CodepipelineStageAction:
        props = self.props
        console = f"https://{props.region}.console.aws.amazon.com/codesuite/codebuild/{props.account_id}/projects"
        return CodepipelineStageAction(
            name="Approve",
            category="Approval",
            owner="AWS",
            provider="Manual",
            version="1",
            run_order=2,
            configuration={
                "NotificationArn": props.approval_topic_arn,
                "CustomData": APPROVAL_MESSAGE.format(stack=target.stack_name, ns=namespace),
                "ExternalEntityLink": f"{console}/{plan_project}/build/#{{{namespace}.PLAN_BUILD_ID}}/log",
            },
        )


def _build_action(
    name: str,
    project_name: str,
    inputs: list[str],
    output: str,
    run_order: int,
    namespace: str | None = None,
    variables: dict[str, str] | None = None,
) -> CodepipelineStageAction:
    """A CodeBuild action; every build learns the commit it works on as ``COMMIT_ID`` and its execution as
    ``PIPELINE_EXECUTION_ID``."""
    environment = {
        "COMMIT_ID": f"#{{{SOURCE_NAMESPACE}.CommitId}}",
        "PIPELINE_EXECUTION_ID": "#{codepipeline.PipelineExecutionId}",
        **(variables or {}),
    }
    configuration = {
        "ProjectName": project_name,
        "EnvironmentVariables": json.dumps(
            [{"name": key, "value": value, "type": "PLAINTEXT"} for key, value in environment.items()]
        ),
    }
    if len(inputs) > 1:
        configuration["PrimarySource"] = inputs[0]
    return CodepipelineStageAction(
        name=name,
        category="Build",
        owner="AWS",
        provider="CodeBuild",
        version="1",
        run_order=run_order,
        namespace=namespace,
        input_artifacts=inputs,
        output_artifacts=[output],
        configuration=configuration,
    )
