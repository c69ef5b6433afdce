"""Scheduled pipelines from the contracts: datasets that share a schedule run together, ingest -> curate -> serve.

Each pipeline is one Step Functions state machine (docs/adr/0051-step-functions-pipelines-from-the-contracts.md):
the schedule's time becomes ``--run_date``, each step starts a Glue job and waits for it (``startJobRun.sync``),
a failed step is retried with exponential backoff, and the next step starts only when the previous succeeded.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from etl.serve.load import tables_for
from modules.processing.jobs import CURATE_JOB, SERVE_JOB, JobScript
from modules.processing.props import DatasetSchedule, ProcessingProps
from modules.processing.schedule import CronSchedule

GLUE_RUN_SYNC = "arn:aws:states:::glue:startJobRun.sync"
# Execution input from EventBridge Scheduler; a manual execution may pass {"run_date": "YYYY-MM-DD"} instead.
SCHEDULED_INPUT = json.dumps({"scheduled_time": "<aws.scheduler.scheduled-time>"})
RUN_DATE_FROM_SCHEDULE = "States.ArrayGetItem(States.StringSplit($.scheduled_time, 'T'), 0)"


@dataclass(frozen=True)
class Pipeline:
    """The datasets of one schedule and the jobs that run for them, in order."""

    schedule: CronSchedule
    datasets: tuple[str, ...]
    ingest_jobs: tuple[str, ...]
    serves: bool

    @property
    def slug(self) -> str:
        """The pipeline's name part, from its schedule (stable while the schedule is)."""
        return self.schedule.slug()

    @property
    def steps(self) -> tuple[str, ...]:
        """The jobs in run order."""
        return (*self.ingest_jobs, CURATE_JOB, *((SERVE_JOB,) if self.serves else ()))


def pipelines(datasets: tuple[DatasetSchedule, ...], scripts: tuple[JobScript, ...]) -> tuple[Pipeline, ...]:
    """One pipeline per distinct contract schedule, in schedule order."""
    by_schedule: dict[str, list[str]] = defaultdict(list)
    for dataset in datasets:
        by_schedule[dataset.schedule].append(dataset.dataset)
    found = []
    for expression, names in sorted(by_schedule.items()):
        members = tuple(sorted(names))
        ingest = tuple(script.name for script in scripts if set(script.lands) & set(members))
        found.append(Pipeline(CronSchedule(expression), members, ingest, bool(tables_for(members))))
    return tuple(found)


def _task(job_name: str, arguments: dict[str, str], props: ProcessingProps, following: str | None) -> dict:
    retry = props.retry
    task: dict = {
        "Type": "Task",
        "Resource": GLUE_RUN_SYNC,
        "Parameters": {"JobName": job_name, "Arguments": arguments},
        "ResultPath": None,
        "Retry": [
            {
                "ErrorEquals": ["States.ALL"],
                "IntervalSeconds": retry.interval_seconds,
                "MaxAttempts": retry.attempts,
                "BackoffRate": retry.backoff_rate,
                "JitterStrategy": "FULL",
            }
        ],
    }
    task.update({"Next": following} if following else {"End": True})
    return task


def _step_arguments(job: str, pipeline: Pipeline) -> dict[str, str]:
    datasets = ",".join(pipeline.datasets)
    if job == CURATE_JOB:
        return {"--run_date.$": "$.run_date", "--datasets": datasets}
    if job == SERVE_JOB:
        return {"--datasets": datasets}
    return {"--run_date.$": "$.run_date"}


def timeout_seconds(pipeline: Pipeline, props: ProcessingProps) -> int:
    """The longest a run may take: every step's attempts at their full timeout, plus the backoff waits."""
    retry = props.retry
    waits = sum(retry.interval_seconds * retry.backoff_rate**attempt for attempt in range(retry.attempts))
    per_step = [
        props.size(job).timeout_minutes * 60 * (1 + props.size(job).max_retries) * (1 + retry.attempts) + waits
        for job in pipeline.steps
    ]
    return int(sum(per_step))


def definition(pipeline: Pipeline, job_names: dict[str, str], props: ProcessingProps) -> str:
    """The state machine's Amazon States Language definition."""
    steps = pipeline.steps
    states: dict[str, dict] = {
        "RunDate": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.run_date", "IsPresent": True, "Next": steps[0]}],
            "Default": "RunDateFromSchedule",
        },
        "RunDateFromSchedule": {
            "Type": "Pass",
            "Parameters": {"run_date.$": RUN_DATE_FROM_SCHEDULE},
            "Next": steps[0],
        },
    }
    for index, job in enumerate(steps):
        following = steps[index + 1] if index + 1 < len(steps) else None
        states[job] = _task(job_names[job], _step_arguments(job, pipeline), props, following)
    return json.dumps(
        {
            "Comment": (
                f"{', '.join(pipeline.datasets)}: {' -> '.join(steps)} on the contracts' schedule "
                f"{pipeline.schedule.expression} (UTC)"
            ),
            "StartAt": "RunDate",
            "TimeoutSeconds": timeout_seconds(pipeline, props),
            "States": states,
        }
    )
