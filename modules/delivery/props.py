"""Props of the promotion pipeline (delivery account) and of the smoke-test access it needs in each environment."""

from __future__ import annotations

import re
from dataclasses import dataclass

from modules.processing.jobs import CURATE_JOB

# The Glue job the smoke test runs with --dry_run true: curation needs the contracts, Spark, the
# pseudonymization key and the lake, so its dry run exercises what a release most often breaks.
SMOKE_TEST_JOB = CURATE_JOB
REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
# CodePipeline keeps an artifact under the first 10 characters of its name; plan_<env> must stay distinct.
MAX_ENVIRONMENT_NAME = 5


@dataclass(frozen=True)
class StepRoles:
    """Names of one environment's build roles in the delivery account, one per step.

    Attributes:
        plan: runs ``terraform plan -out``; may assume only the environment's read-only plan role.
        apply: applies the approved plan; may assume only the environment's deploy role.
        smoke: runs the smoke test; may assume only the environment's smoke-test role.
    """

    plan: str
    apply: str
    smoke: str


@dataclass(frozen=True)
class PromotionTarget:
    """One environment the pipeline promotes to, in order.

    Attributes:
        environment: the environment's name (at most 5 characters: it names the stage's artifacts).
        stack_name: its Terraform stack, ``cdktf.out/stacks/<stack_name>`` in the build's artifact.
        account_id: its account.
        region: its region.
        plan_role_arn: its read-only role: reads state, describes resources, changes nothing.
        deploy_role_arn: its deploy role, used by the apply step only.
        smoke_test_role_arn: its smoke-test role (created by the environment's own stack).
        service_hostname: the public name the load balancer's certificate is for.
        roles: the names of the delivery-account roles of this environment's steps.
        smoke_job_name: the Glue job the smoke test runs in dry-run mode. Default: None (no job run).
    """

    environment: str
    stack_name: str
    account_id: str
    region: str
    plan_role_arn: str
    deploy_role_arn: str
    smoke_test_role_arn: str
    service_hostname: str
    roles: StepRoles
    smoke_job_name: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= len(self.environment) <= MAX_ENVIRONMENT_NAME:
            raise ValueError(
                f"PromotionTarget.environment: {self.environment!r} must be 1 to {MAX_ENVIRONMENT_NAME} characters"
            )

    @property
    def stage_name(self) -> str:
        """The pipeline stage of this environment: ``Dev``, ``Stage``, ``Prod``."""
        return self.environment.capitalize()

    @property
    def alarm_prefix(self) -> str:
        """Every alarm of the environment starts with its stack name."""
        return f"{self.stack_name}-"


@dataclass(frozen=True)
class DeliveryProps:
    """Inputs of ``DeliveryPipeline``.

    Attributes:
        name_prefix: ``northwind-delivery``; the pipeline, projects and log group are named from it.
        account_id: the delivery account.
        region: the delivery account's region.
        repository: the GitHub repository, ``owner/name``.
        branch: the branch whose pushes start the pipeline.
        connection_arn: the CodeStar connection to GitHub (created by the account bootstrap).
        build_role_name: the role of the one build that produces every artifact.
        targets: the environments, in promotion order.
        artifacts_bucket_name: the bucket holding the pipeline's artifacts.
        artifacts_bucket_arn: that bucket's ARN.
        artifacts_kms_key_arn: the key of the builds and the artifact store.
        logs_kms_key_arn: the key of the builds' log group.
        log_retention_days: how long build logs are kept.
        approval_topic_arn: the SNS topic every manual approval notifies.
        approval_topic_kms_key_arn: the key that topic is encrypted with (the pipeline uses it through SNS).
        build_timeout_minutes: how long a build may run before CodeBuild stops it. Default: 60.
        build_image: the standard Linux CodeBuild image. Default: ``aws/codebuild/standard:7.0``.
    """

    name_prefix: str
    account_id: str
    region: str
    repository: str
    branch: str
    connection_arn: str
    build_role_name: str
    targets: tuple[PromotionTarget, ...]
    artifacts_bucket_name: str
    artifacts_bucket_arn: str
    artifacts_kms_key_arn: str
    logs_kms_key_arn: str
    log_retention_days: int
    approval_topic_arn: str
    approval_topic_kms_key_arn: str
    build_timeout_minutes: int = 60
    build_image: str = "aws/codebuild/standard:7.0"

    def __post_init__(self) -> None:
        if not REPOSITORY.fullmatch(self.repository):
            raise ValueError(f"DeliveryProps.repository: {self.repository!r} is not 'owner/name'")
        if not self.targets:
            raise ValueError("DeliveryProps.targets: the pipeline needs at least one environment to promote to")
        names = [t.environment for t in self.targets]
        if len(set(names)) != len(names):
            raise ValueError(f"DeliveryProps.targets: an environment appears twice in {names}")
        if not 5 <= self.build_timeout_minutes <= 2160:
            raise ValueError("DeliveryProps.build_timeout_minutes must be between 5 and 2160 (CodeBuild's limits)")
        if not self.build_image.startswith("aws/codebuild/standard:"):
            raise ValueError(f"DeliveryProps.build_image: {self.build_image!r} is not a standard Linux image")

    @property
    def pipeline_name(self) -> str:
        return self.name_prefix

    @property
    def pipeline_arn(self) -> str:
        return f"arn:aws:codepipeline:{self.region}:{self.account_id}:{self.pipeline_name}"

    def project_arn(self, project_name: str) -> str:
        return f"arn:aws:codebuild:{self.region}:{self.account_id}:project/{project_name}"


@dataclass(frozen=True)
class SmokeTestAccessProps:
    """Inputs of ``SmokeTestAccess``, the environment-side role of the pipeline's smoke test.

    Attributes:
        role_name: ``<stack>-smoke-test``.
        account_id: the environment's account.
        region: the environment's region.
        trusted_role_arn: the delivery account's smoke-test build role for this environment; nothing else may
            assume this role.
        alarm_prefix: the prefix of the environment's alarms, which the smoke test reads.
        dry_run_job_arns: the Glue jobs the smoke test may start (it passes ``--dry_run true``). Default: none.
    """

    role_name: str
    account_id: str
    region: str
    trusted_role_arn: str
    alarm_prefix: str
    dry_run_job_arns: tuple[str, ...] = ()


@dataclass(frozen=True)
class PipelineAlertsProps:
    """Inputs of ``PipelineAlerts``: who hears when a promotion stops.

    Attributes:
        name_prefix: ``northwind-delivery``; the topic is ``<name_prefix>-alerts``, rules ``<name_prefix>-*``.
        account_id: the delivery account.
        region: the delivery account's region.
        pipeline_name: the pipeline whose executions and approvals are watched.
        key_admin_role_arns: administrators of the alert topic's key (the delivery account's deploy role).
        break_glass_role_arn: the break-glass administration path of that key (with MFA).
        subscribers: ``(protocol, endpoint)`` of every receiver (``email`` or ``https``), at least one.
        runbook_section: ``docs/runbooks/<file>.md#<anchor>`` the rules' descriptions and messages link.
        key_reader_role_arns: principals that may read the key's metadata (the plan role). Default: none.
    """

    name_prefix: str
    account_id: str
    region: str
    pipeline_name: str
    key_admin_role_arns: tuple[str, ...]
    break_glass_role_arn: str
    subscribers: tuple[tuple[str, str], ...]
    runbook_section: str
    key_reader_role_arns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.subscribers:
            raise ValueError("PipelineAlertsProps.subscribers: at least one, so a stopped promotion reaches someone")
        for protocol, endpoint in self.subscribers:
            if protocol not in ("email", "https"):
                raise ValueError(f"PipelineAlertsProps.subscribers: {protocol!r} for {endpoint!r}: use email or https")

    @property
    def topic_name(self) -> str:
        return f"{self.name_prefix}-alerts"

    @property
    def topic_arn(self) -> str:
        """Known before the topic exists, so that the key's policy can name it."""
        return f"arn:aws:sns:{self.region}:{self.account_id}:{self.topic_name}"

    @property
    def pipeline_arn(self) -> str:
        return f"arn:aws:codepipeline:{self.region}:{self.account_id}:{self.pipeline_name}"
