"""Processing: the Glue jobs (one per entry script), the artifacts they run, the scheduled pipelines from the
contracts, and the alarms on missed runs and freshness."""

from __future__ import annotations

import json

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetInputTransformer,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.glue_job import GlueJob, GlueJobCommand, GlueJobExecutionProperty
from cdktf_cdktf_provider_aws.s3_object import S3Object
from cdktf_cdktf_provider_aws.scheduler_schedule import (
    SchedulerSchedule,
    SchedulerScheduleFlexibleTimeWindow,
    SchedulerScheduleTarget,
    SchedulerScheduleTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.sfn_state_machine import (
    SfnStateMachine,
    SfnStateMachineEncryptionConfiguration,
    SfnStateMachineLoggingConfiguration,
    SfnStateMachineTracingConfiguration,
)
from constructs import Construct

from modules.artifacts import built_etl_wheel, file_hash
from modules.observability.log_groups import encrypted_log_group
from modules.processing.dashboard import dashboard_body
from modules.processing.jobs import JobScript, entry_scripts, job_name
from modules.processing.pipelines import SCHEDULED_INPUT, Pipeline, definition, pipelines
from modules.processing.props import ProcessingProps
from modules.processing.runtime import GLUE_VERSION, PYTHON_VERSION, additional_python_modules
from modules.runbooks import runbook_section, with_runbook

RUN_FAILURE_STATES = ("FAILED", "TIMED_OUT", "ABORTED")
RUN_FAILURE_ANCHOR = "a-pipeline-run-failed-or-timed-out"
HOUR = 3600
# CloudWatch evaluates at most seven days of hourly periods.
MAX_HOURLY_PERIODS = 168
# How long Step Functions reuses a data key of the pipelines key (60-900 s): a disabled key stops new work
# within five minutes, at a few KMS calls per run.
DATA_KEY_REUSE_SECONDS = 300


class JobWiringError(ValueError):
    """An entry script declares an argument the stack does not provide."""


class Processing(Construct):
    """Uploads each entry script and the ``etl`` wheel under content-hashed keys, creates one Glue 5.0 job per
    script, one state machine and schedule per distinct contract schedule, an alert for failed or timed-out
    runs, a missed-run alarm per schedule, a freshness alarm per dataset and the pipeline dashboard.

    Exposes ``jobs`` (script name -> ``GlueJob``), ``jobs_outside_pipelines`` (the ``GlueJob`` s no pipeline
    runs, started by hand), ``pipelines`` (``Pipeline`` by slug), ``state_machines`` (slug -> ``SfnStateMachine``),
    ``alarms`` (key -> alarm), ``log_group_prefix`` and ``wheel_key``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ProcessingProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        scripts = entry_scripts()
        self.log_group_prefix = f"/aws-glue/jobs/{props.name_prefix}"
        log_groups = [
            encrypted_log_group(
                self,
                f"jobs-{stream}-log-group",
                name=f"{self.log_group_prefix}/{stream}",
                retention_days=props.log_retention_days,
                kms_key_arn=props.logs_kms_key_arn,
            )
            for stream in ("output", "error")
        ]
        wheel, wheel_hash = built_etl_wheel()
        self.wheel_key = f"glue/wheels/{wheel_hash}/{wheel.name}"
        wheel_object = self._upload("etl-wheel", wheel, self.wheel_key)
        self.pipelines = {pipeline.slug: pipeline for pipeline in pipelines(props.datasets, scripts)}
        modules = ",".join([f"s3://{props.artifacts_bucket_name}/{self.wheel_key}", *additional_python_modules()])
        self.jobs = {
            script.name: self._job(script, modules, [wheel_object, *log_groups], concurrency=self._uses(script))
            for script in scripts
        }
        self.jobs_outside_pipelines = tuple(
            job for name, job in self.jobs.items() if not any(name in p.steps for p in self.pipelines.values())
        )
        self.state_machines: dict[str, SfnStateMachine] = {}
        states_logs = encrypted_log_group(
            self,
            "pipelines-log-group",
            name=f"/aws/vendedlogs/states/{props.name_prefix}-pipelines",
            retention_days=props.log_retention_days,
            kms_key_arn=props.logs_kms_key_arn,
        )
        for pipeline in self.pipelines.values():
            self._pipeline(pipeline, states_logs.arn)
        self._alert_on_failed_runs()
        for dataset in props.datasets:
            self._freshness_alarm(dataset.dataset, dataset.sla_hours)
        CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=f"{props.name_prefix}-pipeline-sla",
            dashboard_body=dashboard_body(
                props.region,
                props.metrics_namespace,
                [dataset.dataset for dataset in props.datasets],
                {slug: machine.arn for slug, machine in self.state_machines.items()},
                [alarm.arn for alarm in self.alarms.values()],
            ),
        )

    def _uses(self, script: JobScript) -> int:
        return max(1, sum(script.name in pipeline.steps for pipeline in self.pipelines.values()))

    def _upload(self, construct_id: str, path, key: str) -> S3Object:
        """``path`` as an object at ``key`` (the key carries the content hash; the new object exists before the
        old one goes, so a running job never loses its script)."""
        asset = TerraformAsset(self, f"{construct_id}-asset", path=str(path), type=AssetType.FILE)
        return S3Object(
            self,
            construct_id,
            bucket=self.props.artifacts_bucket_name,
            key=key,
            source=asset.path,
            server_side_encryption="aws:kms",
            kms_key_id=self.props.artifacts_kms_key_arn,
            bucket_key_enabled=True,
            lifecycle={"create_before_destroy": True},
        )

    def _arguments(self, script: JobScript) -> dict[str, str]:
        # An optional argument the environment has nothing for (prod's replica bucket elsewhere) is left out.
        missing = [a.name for a in script.wired_arguments if a.required and a.name not in self.props.wiring]
        if missing:
            raise JobWiringError(
                f"entry script {script.path.name} declares {', '.join('--' + n for n in missing)}, which the stack "
                "does not wire; add them to the processing wiring in modules/platform_stack.py"
            )
        return {f"--{a.name}": self.props.wiring[a.name] for a in script.wired_arguments if a.name in self.props.wiring}

    def _job(self, script: JobScript, modules: str, after: list, concurrency: int) -> GlueJob:
        props = self.props
        size = props.size(script.name)
        key = f"glue/scripts/{file_hash(script.path)}/{script.path.name}"
        script_object = self._upload(f"{script.name}-script", script.path, key)
        needs_vpc = any(argument.name in props.connection_arguments for argument in script.arguments)
        return GlueJob(
            self,
            f"{script.name}-job",
            name=job_name(props.name_prefix, script.name),
            description=f"etl/jobs/{script.path.name} on Glue {GLUE_VERSION}",
            role_arn=props.role_arn(script.name),
            glue_version=GLUE_VERSION,
            command=GlueJobCommand(
                name="glueetl",
                script_location=f"s3://{props.artifacts_bucket_name}/{key}",
                python_version=PYTHON_VERSION,
            ),
            worker_type=size.worker_type,
            number_of_workers=size.workers,
            timeout=size.timeout_minutes,
            max_retries=size.max_retries,
            security_configuration=props.security_configuration_name,
            connections=[props.connection_name] if needs_vpc else None,
            execution_property=GlueJobExecutionProperty(max_concurrent_runs=concurrency),
            default_arguments={
                "--job-language": "python",
                "--job-bookmark-option": "job-bookmark-disable",
                "--additional-python-modules": modules,
                "--enable-metrics": "true",
                "--enable-observability-metrics": "true",
                "--enable-continuous-cloudwatch-log": "true",
                "--custom-logGroup-prefix": self.log_group_prefix,
                **self._arguments(script),
            },
            depends_on=[*after, script_object],
        )

    def _pipeline(self, pipeline: Pipeline, log_group_arn: str) -> None:
        props = self.props
        name = f"{props.name_prefix}-pipeline-{pipeline.slug}"
        machine = SfnStateMachine(
            self,
            f"pipeline-{pipeline.slug}",
            name=name,
            role_arn=props.orchestration_role_arn,
            definition=definition(pipeline, {job: self.jobs[job].name for job in pipeline.steps}, props),
            logging_configuration=SfnStateMachineLoggingConfiguration(
                log_destination=f"{log_group_arn}:*", include_execution_data=True, level="ALL"
            ),
            tracing_configuration=SfnStateMachineTracingConfiguration(enabled=True),
            encryption_configuration=SfnStateMachineEncryptionConfiguration(
                type="CUSTOMER_MANAGED_KMS_KEY",
                kms_key_id=props.pipelines_kms_key_arn,
                kms_data_key_reuse_period_seconds=DATA_KEY_REUSE_SECONDS,
            ),
            depends_on=list(props.orchestration_role_after) or None,
        )
        self.state_machines[pipeline.slug] = machine
        SchedulerSchedule(
            self,
            f"schedule-{pipeline.slug}",
            name=f"{props.name_prefix}-{pipeline.slug}"[:64],
            description=f"Starts {name}: {', '.join(pipeline.datasets)} ({pipeline.schedule.expression} UTC)",
            schedule_expression=pipeline.schedule.aws_expression(),
            schedule_expression_timezone="UTC",
            kms_key_arn=props.pipelines_kms_key_arn,
            flexible_time_window=SchedulerScheduleFlexibleTimeWindow(mode="OFF"),
            target=SchedulerScheduleTarget(
                arn=machine.arn,
                role_arn=props.scheduler_role_arn,
                input=SCHEDULED_INPUT,
                retry_policy=SchedulerScheduleTargetRetryPolicy(
                    maximum_event_age_in_seconds=HOUR, maximum_retry_attempts=5
                ),
            ),
        )
        periods = min(MAX_HOURLY_PERIODS, int(pipeline.schedule.longest_gap().total_seconds() // HOUR) + 1)
        self._alarm(
            f"runs-missing-{pipeline.slug}",
            f"No run of {name} ({', '.join(pipeline.datasets)}) started in {periods} h, though its schedule "
            f"{pipeline.schedule.expression} (UTC) runs at least every {periods - 1} h",
            "a-scheduled-run-did-not-start",
            namespace="AWS/States",
            metric_name="ExecutionsStarted",
            dimensions={"StateMachineArn": machine.arn},
            statistic="Sum",
            comparison_operator="LessThanThreshold",
            threshold=1,
            evaluation_periods=periods,
            treat_missing_data="breaching",
        )

    def _freshness_alarm(self, dataset: str, sla_hours: float) -> None:
        self._alarm(
            f"freshness-{dataset.replace('_', '-')}",
            f"The newest curated {dataset} data is older than its contract's {sla_hours:g} h latency SLA",
            "dataset-freshness-over-its-sla",
            namespace=self.props.metrics_namespace,
            metric_name="FreshnessHours",
            dimensions={"Dataset": dataset},
            statistic="Maximum",
            comparison_operator="GreaterThanThreshold",
            threshold=sla_hours,
            evaluation_periods=1,
            treat_missing_data="notBreaching",
        )

    def _alarm(self, key: str, description: str, anchor: str, **metric) -> None:
        props = self.props
        self.alarms[key] = CloudwatchMetricAlarm(
            self,
            f"alarm-{key}",
            alarm_name=f"{props.name_prefix}-{key}",
            alarm_description=with_runbook(description, runbook_section(props.runbook, anchor)),
            period=HOUR,
            datapoints_to_alarm=metric["evaluation_periods"],
            actions_enabled=True,
            alarm_actions=[props.alert_topic_arn],
            ok_actions=[props.alert_topic_arn],
            **metric,
        )

    def _alert_on_failed_runs(self) -> None:
        """A pipeline run that failed, timed out or was aborted (after its retries) alerts in one line."""
        props = self.props
        rule = CloudwatchEventRule(
            self,
            "pipeline-run-failures",
            name=f"{props.name_prefix}-pipeline-run-failures",
            description=with_runbook(
                "Pipeline runs (Step Functions executions) that failed, timed out or were aborted after their retries",
                runbook_section(props.runbook, RUN_FAILURE_ANCHOR),
            ),
            event_pattern=json.dumps(
                {
                    "source": ["aws.states"],
                    "detail-type": ["Step Functions Execution Status Change"],
                    "detail": {
                        "status": list(RUN_FAILURE_STATES),
                        "stateMachineArn": [machine.arn for machine in self.state_machines.values()],
                    },
                }
            ),
        )
        CloudwatchEventTarget(
            self,
            "pipeline-run-failures-to-topic",
            rule=rule.name,
            target_id="alert-topic",
            arn=props.alert_topic_arn,
            input_transformer=CloudwatchEventTargetInputTransformer(
                input_paths={
                    "machine": "$.detail.stateMachineArn",
                    "status": "$.detail.status",
                    "run": "$.detail.name",
                },
                input_template=json.dumps(
                    with_runbook(
                        "Pipeline run <run> of <machine> ended <status> after its retries",
                        runbook_section(props.runbook, RUN_FAILURE_ANCHOR),
                    )
                ),
            ),
            depends_on=list(props.alert_topic_after) or None,
        )
