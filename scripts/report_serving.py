"""Each environment's serving database, compute tier and alarms, read from the synthesized Terraform JSON.

python -m scripts.report_serving [--outdir DIR]

Reads ``DIR/stacks/<stack>/cdk.tf.json`` (synthesizing first when they are missing) and prints four tables:
RDS settings, compute settings, the alarm list (metric, threshold, action) and each alarm's runbook section,
per environment.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from environments import EnvironmentDefinitionError, load_environments
from modules.runbooks import LINK_LABEL

REPO_ROOT = Path(__file__).resolve().parent.parent
_REFERENCE = re.compile(r"^\$\{(?P<type>aws_[a-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)\.[a-z_]+\}$")
_COMPARISONS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}
console = Console(highlight=False, width=int(os.environ.get("COLUMNS", "160")))
app = typer.Typer(add_completion=False, help=__doc__)


class ReportError(ValueError):
    """The synthesized stack lacks what the report reads."""


@dataclass(frozen=True)
class DatabaseRow:
    engine_version: str
    multi_az: bool
    backup_days: int
    deletion_protection: bool
    storage_encrypted: bool
    force_ssl: str


@dataclass(frozen=True)
class ComputeRow:
    min_size: int
    max_size: int
    imdsv2: str
    ebs_encryption: str
    public_ip: str


@dataclass(frozen=True)
class AlarmRow:
    name: str
    metric: str
    threshold: str
    action: str
    runbook: str


def _only(config: dict, resource_type: str) -> dict:
    found = list(config.get("resource", {}).get(resource_type, {}).values())
    if len(found) != 1:
        raise ReportError(f"expected one {resource_type} in the stack, found {len(found)}")
    return found[0]


def _referenced(config: dict, reference: str) -> dict:
    match = _REFERENCE.match(reference)
    if not match:
        raise ReportError(f"{reference!r} is not a reference to a resource")
    return config["resource"][match["type"]][match["name"]]


def database_row(config: dict) -> DatabaseRow:
    """The serving database's settings."""
    instance = _only(config, "aws_db_instance")
    parameters = _referenced(config, instance["parameter_group_name"])["parameter"]
    force_ssl = next((p["value"] for p in parameters if p["name"] == "rds.force_ssl"), "unset")
    return DatabaseRow(
        engine_version=f"{instance['engine']} {instance['engine_version']}",
        multi_az=instance["multi_az"],
        backup_days=instance["backup_retention_period"],
        deletion_protection=instance["deletion_protection"],
        storage_encrypted=instance["storage_encrypted"],
        force_ssl=force_ssl,
    )


def compute_row(config: dict) -> ComputeRow:
    """The Auto Scaling group's size and its launch template's instance settings."""
    group = _only(config, "aws_autoscaling_group")
    template = _referenced(config, group["launch_template"]["id"])
    metadata = template["metadata_options"]
    imdsv2 = (
        f"required, hop limit {metadata['http_put_response_hop_limit']}"
        if metadata["http_tokens"] == "required"
        else "optional"
    )
    volumes = [mapping["ebs"] for mapping in template.get("block_device_mappings", [])]
    encrypted = volumes and all(v.get("encrypted") == "true" and v.get("kms_key_id") for v in volumes)
    interfaces = template.get("network_interfaces", [])
    public = any(i.get("associate_public_ip_address") != "false" for i in interfaces) or not interfaces
    return ComputeRow(
        min_size=group["min_size"],
        max_size=group["max_size"],
        imdsv2=imdsv2,
        ebs_encryption="KMS (customer key)" if encrypted else "no",
        public_ip="yes" if public else "no",
    )


def _amount(alarm: dict) -> str:
    if alarm["metric_name"] == "FreeStorageSpace":
        return f"{alarm['threshold'] / 1024**3:g} GiB"
    return f"{alarm['threshold']:g}"


def _action(config: dict, arns: list[str]) -> str:
    names = [_referenced(config, arn).get("name", arn) for arn in arns]
    return ", ".join(f"SNS {name}" for name in names) or "none"


def alarm_rows(config: dict) -> list[AlarmRow]:
    """Every metric alarm, then every EventBridge rule that alerts, with what it notifies."""
    rows = []
    for alarm in config.get("resource", {}).get("aws_cloudwatch_metric_alarm", {}).values():
        rows.append(
            AlarmRow(
                name=alarm["alarm_name"],
                metric=f"{alarm['namespace']} {alarm['metric_name']} ({alarm['statistic']}, {alarm['period']} s)",
                threshold=f"{_COMPARISONS[alarm['comparison_operator']]} {_amount(alarm)} "
                f"for {alarm['evaluation_periods']} periods",
                action=_action(config, alarm["alarm_actions"]),
                runbook=_runbook(alarm.get("alarm_description", "")),
            )
        )
    resources = config.get("resource", {})
    targets = list(resources.get("aws_cloudwatch_event_target", {}).values())
    for rule_name, rule in resources.get("aws_cloudwatch_event_rule", {}).items():
        pattern = json.loads(rule["event_pattern"])
        alerting = (
            t
            for t in targets
            if t["rule"] == f"${{aws_cloudwatch_event_rule.{rule_name}.name}}"
            and t["arn"].startswith("${aws_sns_topic.")
        )
        for target in alerting:
            rows.append(
                AlarmRow(
                    name=rule["name"],
                    metric=f"EventBridge {'/'.join(pattern['source'])} '{pattern['detail-type'][0]}'",
                    threshold=_matching(pattern.get("detail", {})),
                    action=_action(config, [target["arn"]]),
                    runbook=_runbook(rule.get("description", "")),
                )
            )
    return rows


def _runbook(description: str) -> str:
    """The runbook section a description links to, or ``none``."""
    return description.rpartition(LINK_LABEL)[2] if LINK_LABEL in description else "none"


def _matching(detail: dict, path: str = "") -> str:
    """An event pattern's ``detail`` as one line: ``state in FAILED/TIMEOUT/ERROR; severity >= 7``."""
    parts = []
    for key, value in detail.items():
        where = f"{path}{key}"
        if isinstance(value, dict):
            parts.append(_matching(value, f"{where}."))
        elif all(isinstance(v, str | int | float) for v in value):
            parts.append(f"{where} in {'/'.join(map(str, value))}")
        else:
            parts.append(f"{where} {' '.join(json.dumps(v, separators=(',', ':')) for v in value)}")
    return "; ".join(parts)


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _tables(configs: dict[str, dict]) -> list[Table]:
    database = Table(title="Serving database (RDS) per environment")
    for column in (
        "environment",
        "engine",
        "Multi-AZ",
        "backup days",
        "deletion protection",
        "encrypted",
        "rds.force_ssl",
    ):
        database.add_column(column)
    compute = Table(title="Compute tier per environment")
    for column in ("environment", "min", "max", "IMDSv2", "EBS encryption", "public IP"):
        compute.add_column(column)
    alarms = Table(title="Alarms per environment")
    for column in ("environment", "alarm", "metric", "threshold", "action"):
        alarms.add_column(column)
    runbooks = Table(title="Alarm and alert runbooks per environment")
    for column in ("environment", "alarm", "runbook section"):
        runbooks.add_column(column, no_wrap=True)
    for env, config in configs.items():
        db = database_row(config)
        database.add_row(
            env,
            db.engine_version,
            _yes(db.multi_az),
            str(db.backup_days),
            _yes(db.deletion_protection),
            _yes(db.storage_encrypted),
            db.force_ssl,
        )
        row = compute_row(config)
        compute.add_row(env, str(row.min_size), str(row.max_size), row.imdsv2, row.ebs_encryption, row.public_ip)
        for alarm in alarm_rows(config):
            alarms.add_row(env, alarm.name, alarm.metric, alarm.threshold, alarm.action)
            runbooks.add_row(env, alarm.name, alarm.runbook)
    return [database, compute, alarms, runbooks]


def synthesized_configs(outdir: Path) -> dict[str, dict]:
    """Each environment's synthesized Terraform JSON from ``outdir``, synthesizing first when one is missing."""
    environments = load_environments()
    paths = {name: outdir / "stacks" / env.stack_name / "cdk.tf.json" for name, env in environments.items()}
    if not all(path.exists() for path in paths.values()):
        console.print(f"==> synthesizing {len(paths)} stack(s) into {outdir} ...")
        from main import build_app  # the provider bindings take seconds to import

        build_app(environments, outdir).synth()
    return {name: json.loads(path.read_text(encoding="utf-8")) for name, path in paths.items()}


def print_report(outdir: Path, tables) -> None:
    """Print ``tables(configs)`` for the stacks in ``outdir``; problems are one line and a non-zero exit."""
    try:
        configs = synthesized_configs(outdir)
    except EnvironmentDefinitionError as error:
        console.print(f"[bold red]error:[/] environment definitions are invalid:\n{escape(str(error))}")
        raise typer.Exit(2) from None
    try:
        rendered = tables(configs)
    except (ReportError, KeyError, json.JSONDecodeError) as error:
        console.print(f"[bold red]error:[/] {outdir} does not hold the stacks this report reads: {escape(str(error))}")
        raise typer.Exit(1) from None
    for table in rendered:
        console.print(table)


@app.command()
def main(
    outdir: Annotated[Path, typer.Option(help="Where the synthesized stacks are (or go).")] = REPO_ROOT / "cdktf.out",
) -> None:
    """Print the tables; synthesize first when a stack is missing from OUTDIR."""
    print_report(outdir, _tables)


if __name__ == "__main__":
    sys.exit(app())
