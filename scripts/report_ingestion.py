"""Each environment's ingestion, read from the synthesized JSON: the SFTP server and its partner users, the
clickstream stream, the landing function, the lake's retention per dataset and zone, and the valuation budget.

python -m scripts.report_ingestion [--outdir DIR]

Reads ``DIR/stacks/<stack>/cdk.tf.json`` (synthesizing first when they are missing) and prints the tables;
``scripts.report_processing`` prints the jobs, schedules and secrets.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scripts.report_processing import _names, environment_tables
from scripts.report_serving import REPO_ROOT, print_report

app = typer.Typer(add_completion=False, help=__doc__)
REFERENCE = re.compile(r"\$\{aws_s3_bucket\.([^.}]+)\.(?:bucket|arn)\}")


def _bucket_names(config: dict) -> dict[str, str]:
    return {address: body["bucket"] for address, body in config["resource"].get("aws_s3_bucket", {}).items()}


def _plain(config: dict, text: str) -> str:
    """``text`` with bucket references replaced by the bucket's name."""
    buckets = _bucket_names(config)
    return REFERENCE.sub(lambda m: buckets.get(m.group(1), m.group(0)), text)


def server_rows(config: dict) -> list[tuple[str, ...]]:
    resources = config["resource"]
    rules = resources.get("aws_vpc_security_group_ingress_rule", {}).values()
    rows = []
    for server in resources.get("aws_transfer_server", {}).values():
        (group,) = server["endpoint_details"]["security_group_ids"]
        admitted = sorted(f"{r['cidr_ipv4']} ({r['description']})" for r in rules if r["security_group_id"] == group)
        rows.append(
            (
                ", ".join(server["protocols"]),
                f"{server['endpoint_type']}, {len(server['endpoint_details']['address_allocation_ids'])} Elastic IP(s)",
                server["security_policy_name"],
                ", ".join(admitted),
                "structured JSON, KMS log group" if server.get("structured_log_destinations") else "none",
            )
        )
    return rows


def user_rows(config: dict) -> list[tuple[str, ...]]:
    resources = config["resource"]
    roles = _names(config, "aws_iam_role")
    users = {f"${{aws_transfer_user.{a}.user_name}}": u for a, u in resources.get("aws_transfer_user", {}).items()}
    keys: dict[str, int] = {}
    for key in resources.get("aws_transfer_ssh_key", {}).values():
        keys[key["user_name"]] = keys.get(key["user_name"], 0) + 1
    rows = []
    for reference, user in users.items():
        mappings = ", ".join(f"{m['entry']} -> {_plain(config, m['target'])}" for m in user["home_directory_mappings"])
        session = json.loads(user["policy"])
        reached = sorted({_plain(config, r) for s in session["Statement"] for r in s["Resource"] if "/" in r})
        rows.append(
            (
                user["user_name"],
                f"{user['home_directory_type']}: {mappings}",
                str(keys.get(reference, 0)),
                ", ".join(reached),
                roles.get(user["role"], user["role"]),
            )
        )
    return rows


def stream_rows(config: dict) -> list[tuple[str, ...]]:
    rows = []
    for stream in config["resource"].get("aws_kinesis_firehose_delivery_stream", {}).values():
        destination = stream["extended_s3_configuration"]
        bucket = _plain(config, destination["bucket_arn"]).removeprefix("arn:aws:s3:::")
        rows.append(
            (
                stream["name"],
                f"s3://{bucket}/{destination['prefix']}",
                destination["error_output_prefix"],
                f"{destination['compression_format']} {destination.get('file_extension', '')}",
                f"{destination['buffering_interval']} s / {destination['buffering_size']} MiB",
                f"{stream['server_side_encryption']['key_type']} at rest, SSE-KMS objects",
            )
        )
    return rows


def landing_rows(config: dict) -> list[tuple[str, ...]]:
    resources = config["resource"]
    rows = []
    for rule in resources.get("aws_cloudwatch_event_rule", {}).values():
        pattern = json.loads(rule["event_pattern"])
        if pattern.get("source") != ["aws.s3"]:
            continue
        detail = pattern["detail"]
        rows.append(
            (
                rule["name"],
                f"{_plain(config, detail['bucket']['name'][0])}/{detail['object']['key'][0]['prefix']}",
                ", ".join(
                    f"{f['function_name']} (concurrency {f['reserved_concurrent_executions']})"
                    for f in resources.get("aws_lambda_function", {}).values()
                ),
            )
        )
    return rows


def retention_rows(config: dict) -> list[tuple[str, ...]]:
    lifecycles = config["resource"].get("aws_s3_bucket_lifecycle_configuration", {}).values()
    buckets = _bucket_names(config)
    rows = []
    for lifecycle in lifecycles:
        bucket = buckets[REFERENCE.match(lifecycle["bucket"].replace(".id}", ".bucket}")).group(1)]
        if "data-lake" not in bucket:
            continue
        for rule in lifecycle["rule"]:
            if rule["id"].startswith("expire-") and rule["id"].split("-")[1] in ("raw", "curated", "quarantine"):
                rows.append((bucket, rule["filter"][0]["prefix"], f"{rule['expiration'][0]['days']} days"))
    return rows


def budget_rows(config: dict) -> list[tuple[str, ...]]:
    return [
        (a["alarm_name"], a["metric_name"], f">= {a['threshold']:g} calls", a["alarm_description"].rsplit("#", 1)[1])
        for a in config["resource"].get("aws_cloudwatch_metric_alarm", {}).values()
        if a["alarm_name"].endswith("-valuation-budget")
    ]


def _tables(configs: dict[str, dict]) -> list[Table]:
    specs = (
        ("SFTP server", ("protocols", "endpoint", "security policy", "admitted to port 22", "logs"), server_rows),
        ("SFTP users", ("user", "home directory", "SSH keys", "session policy reaches", "role"), user_rows),
        ("Clickstream stream", ("stream", "stages to", "errors to", "format", "buffer", "encryption"), stream_rows),
        ("Landing function triggers", ("rule", "objects created under", "function"), landing_rows),
        ("Retention per dataset and zone", ("bucket", "prefix", "expires after"), retention_rows),
        ("Valuation budget alarm", ("alarm", "metric", "threshold", "runbook section"), budget_rows),
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
