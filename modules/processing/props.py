"""Props of the processing construct: the Glue jobs, their schedules and the SLA alarms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf import ITerraformDependable

# Glue 5.0 Spark worker types (G.025X is for streaming jobs only).
WORKER_TYPES = ("G.1X", "G.2X", "G.4X", "G.8X")


@dataclass(frozen=True)
class JobSize:
    """How one job runs: worker type and count, how long it may take, and Glue's own immediate retries.

    Attributes:
        worker_type: one of ``WORKER_TYPES``.
        workers: at least 2 (a Spark driver and one executor).
        timeout_minutes: Glue stops the run after this long (the run ends TIMEOUT and alerts).
        max_retries: Glue's immediate re-runs of a failed run; the schedules retry with backoff themselves.
    """

    worker_type: str
    workers: int
    timeout_minutes: int
    max_retries: int

    def __post_init__(self) -> None:
        if self.worker_type not in WORKER_TYPES:
            raise ValueError(f"JobSize.worker_type={self.worker_type!r}: use one of {', '.join(WORKER_TYPES)}")
        if self.workers < 2:
            raise ValueError("JobSize.workers must be at least 2")
        if not 1 <= self.timeout_minutes <= 2880:
            raise ValueError("JobSize.timeout_minutes must be 1-2880")
        if not 0 <= self.max_retries <= 10:
            raise ValueError("JobSize.max_retries must be 0-10")


@dataclass(frozen=True)
class RetryPolicy:
    """How a scheduled run retries a failed step: ``attempts`` more times, first after ``interval_seconds``,
    each wait ``backoff_rate`` times the previous one (with jitter)."""

    attempts: int
    interval_seconds: int
    backoff_rate: float

    def __post_init__(self) -> None:
        if not 0 <= self.attempts <= 10 or self.interval_seconds < 1 or self.backoff_rate < 1:
            raise ValueError("RetryPolicy: attempts 0-10, interval_seconds >= 1, backoff_rate >= 1")


@dataclass(frozen=True)
class DatasetSchedule:
    """A dataset's delivery schedule (five-field cron, UTC) and freshness SLA, from its contract."""

    dataset: str
    schedule: str
    sla_hours: float


@dataclass(frozen=True)
class ProcessingProps:
    """Inputs of ``Processing``.

    Attributes:
        name_prefix: ``northwind-<env>``; jobs, state machines, schedules and alarms are ``<prefix>-...``.
        region: the environment's region (the dashboard's metrics).
        artifacts_bucket_name: where scripts and the wheel are uploaded.
        artifacts_kms_key_arn: the key the artifacts bucket requires for uploads (the lake key).
        job_role_arn: the role every job runs as unless ``job_roles`` names another.
        job_roles: job name -> role ARN for jobs that need a different role. Default: none.
        security_configuration_name: the Glue security configuration (S3, logs and bookmarks under KMS).
        logs_kms_key_arn: encrypts the jobs' and the state machines' log groups.
        log_retention_days: retention of those log groups.
        wiring: job argument name -> value (resource names, ARNs, endpoints); every non-per-run argument an
            entry script declares must be here.
        connection_name: the Glue connection jobs use to reach the serving database inside the VPC.
        connection_arguments: a job declaring any of these arguments runs through ``connection_name``.
        default_size: ``JobSize`` of jobs without an entry in ``sizes``.
        sizes: job name -> ``JobSize``. Default: none.
        retry: ``RetryPolicy`` of each scheduled step.
        datasets: every contract's ``DatasetSchedule``.
        pipelines_kms_key_arn: the customer-managed key of the state machines (definition, execution history and
            execution logs) and of their schedules' payloads.
        orchestration_role_arn: the role the state machines run as.
        scheduler_role_arn: the role EventBridge Scheduler starts the state machines with.
        alert_topic_arn: where failed or timed-out runs, missed runs and SLA breaches are sent.
        metrics_namespace: the namespace of the pipeline's own metrics. Default: ``Northwind/Pipeline``.
        runbook: the runbook (in ``docs/runbooks``) the alarms link to. Default: ``pipeline-failure.md``.
        orchestration_role_after: what the state machines are created after: the orchestration role's policies,
            since Step Functions checks at creation that the role may be assumed and deliver the execution
            logs. Default: none.
        alert_topic_after: what the alerting rule's target is created after: the topic's policy (EventBridge
            drops what the topic refuses, silently). Default: none.
    """

    name_prefix: str
    region: str
    artifacts_bucket_name: str
    artifacts_kms_key_arn: str
    job_role_arn: str
    security_configuration_name: str
    logs_kms_key_arn: str
    log_retention_days: int
    wiring: Mapping[str, str]
    connection_name: str
    connection_arguments: frozenset[str]
    default_size: JobSize
    retry: RetryPolicy
    datasets: tuple[DatasetSchedule, ...]
    pipelines_kms_key_arn: str
    orchestration_role_arn: str
    scheduler_role_arn: str
    alert_topic_arn: str
    job_roles: Mapping[str, str] = field(default_factory=dict)
    sizes: Mapping[str, JobSize] = field(default_factory=dict)
    metrics_namespace: str = "Northwind/Pipeline"
    runbook: str = "pipeline-failure.md"
    orchestration_role_after: tuple[ITerraformDependable, ...] = ()
    alert_topic_after: tuple[ITerraformDependable, ...] = ()

    def __post_init__(self) -> None:
        if not self.datasets:
            raise ValueError("ProcessingProps.datasets: give every contract's schedule")

    def size(self, job: str) -> JobSize:
        """The ``JobSize`` of ``job``."""
        return self.sizes.get(job, self.default_size)

    def role_arn(self, job: str) -> str:
        """The role ``job`` runs as."""
        return self.job_roles.get(job, self.job_role_arn)
