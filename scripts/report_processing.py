"""Each environment's Glue jobs, scheduled pipelines, SLA alarms and secrets, read from the synthesized JSON.

python -m scripts.report_processing [--outdir DIR]

Reads ``DIR/stacks/<stack>/cdk.tf.json`` (synthesizing first when they are missing) and prints four tables.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scripts.report_serving import REPO_ROOT, print_report

app = typer.Typer(add_completion=False, help=__doc__)


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    return table


def environment_tables(configs: dict[str, dict], specs: tuple) -> list[Table]:
    """One table per ``(title, columns, rows)`` spec, each row prefixed by the environment it came from."""
    tables = []
    for title, columns, rows in specs:
        table = _table(title, ("environment", *columns))
        for env, config in configs.items():
            for row in rows(config):
                table.add_row(env, *row)
        tables.append(table)
    return tables


def _names(config: dict, resource_type: str) -> dict[str, str]:
    """``${type.address.name}`` and ``${type.address.arn}`` -> the resource's name."""
    found = {}
    for address, body in config["resource"].get(resource_type, {}).items():
        name = body.get("name", address)
        found[f"${{{resource_type}.{address}.name}}"] = found[f"${{{resource_type}.{address}.arn}}"] = name
    return found


def job_rows(config: dict) -> list[tuple[str, ...]]:
    roles = _names(config, "aws_iam_role")
    rows = []
    for job in config["resource"]["aws_glue_job"].values():
        rows.append(
            (
                job["name"],
                f"Glue {job['glue_version']} {job['command']['name']} (Python 3.11)",
                f"{job['number_of_workers']} x {job['worker_type']}",
                f"{job['timeout']} min",
                str(job["max_retries"]),
                roles.get(job["role_arn"], job["role_arn"]),
                "network connection" if job.get("connections") else "-",
            )
        )
    return rows


def pipeline_rows(config: dict) -> list[tuple[str, ...]]:
    jobs = _names(config, "aws_glue_job")
    schedules = {s["target"]["arn"]: s for s in config["resource"]["aws_scheduler_schedule"].values()}
    rows = []
    for address, machine in config["resource"]["aws_sfn_state_machine"].items():
        definition = json.loads(machine["definition"])
        tasks = [state for state in definition["States"].values() if state["Type"] == "Task"]
        datasets = next(
            t["Parameters"]["Arguments"]["--datasets"]
            for t in tasks
            if "--run_date.$" in t["Parameters"]["Arguments"] and "--datasets" in t["Parameters"]["Arguments"]
        )
        retry = tasks[0]["Retry"][0]
        schedule = schedules[f"${{aws_sfn_state_machine.{address}.arn}}"]
        rows.append(
            (
                machine["name"],
                f"{schedule['schedule_expression']} {schedule['schedule_expression_timezone']}",
                datasets,
                " -> ".join(jobs[t["Parameters"]["JobName"]].split("-", 2)[2] for t in tasks),
                f"{retry['MaxAttempts']} x, {retry['IntervalSeconds']} s x{retry['BackoffRate']:g}",
                f"{definition['TimeoutSeconds'] // 60} min",
            )
        )
    return rows


def sla_alarm_rows(config: dict) -> list[tuple[str, ...]]:
    rows = []
    for alarm in config["resource"]["aws_cloudwatch_metric_alarm"].values():
        if alarm["metric_name"] not in ("FreshnessHours", "ExecutionsStarted"):
            continue
        comparison = ">" if alarm["comparison_operator"] == "GreaterThanThreshold" else "<"
        window = f"{alarm['evaluation_periods']} x {alarm['period'] // 3600} h"
        runbook = alarm["alarm_description"].rsplit("#", 1)[1]
        rows.append(
            (alarm["alarm_name"], alarm["metric_name"], f"{comparison} {alarm['threshold']:g}", window, runbook)
        )
    return rows


def secret_rows(config: dict) -> list[tuple[str, ...]]:
    roles = _names(config, "aws_iam_role")
    secrets = {
        f"${{aws_secretsmanager_secret.{a}.arn}}": s for a, s in config["resource"]["aws_secretsmanager_secret"].items()
    }
    rows = []
    for policy in config["resource"]["aws_secretsmanager_secret_policy"].values():
        statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
        secret = secrets[policy["secret_arn"]]
        readers = ", ".join(roles.get(arn, arn) for arn in statements["ReadersReadTheValue"]["Principal"]["AWS"])
        writers = ", ".join(roles.get(arn, arn) for arn in statements["WritersSetTheValue"]["Principal"]["AWS"])
        deny = statements["NobodyElseReadsTheValue"]
        rows.append(
            (
                secret["name"],
                secret["tags"]["rotation"],
                readers,
                writers,
                f"{deny['Effect']} GetSecretValue to all others",
            )
        )
    return rows


def _tables(configs: dict[str, dict]) -> list[Table]:
    specs = (
        ("Glue jobs per environment", ("job", "runtime", "workers", "timeout", "retries", "role", "VPC"), job_rows),
        ("Scheduled pipelines", ("state machine", "schedule", "datasets", "steps", "retry", "timeout"), pipeline_rows),
        ("SLA and missed-run alarms", ("alarm", "metric", "threshold", "window", "runbook section"), sla_alarm_rows),
        ("Secrets and their resource policies", ("secret", "rotation", "readers", "writers", "others"), secret_rows),
    )
    return environment_tables(configs, specs)


@app.command()
def main(
    outdir: Annotated[Path, typer.Option(help="Where the synthesized stacks are (or go).")] = REPO_ROOT / "cdktf.out",
) -> None:
    """Print the tables; synthesize first when a stack is missing from OUTDIR."""
    print_report(outdir, _tables)


if __name__ == "__main__":
    sys.exit(app())
