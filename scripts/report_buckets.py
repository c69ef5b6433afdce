"""The security properties of every S3 bucket, read from the synthesized Terraform JSON.

    python -m scripts.report_buckets [--outdir cdktf.out]

Reads ``<outdir>/stacks/*/cdk.tf.json`` (synthesizing every environment there first when no stack is found)
and prints one row per bucket: encryption, versioning, public-access blocks, policy guards, logging,
lifecycle, replication and classification. Nothing in the table is typed by hand.
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

REPO_ROOT = Path(__file__).resolve().parent.parent
BUCKET_REF = re.compile(r"^\$\{aws_s3_bucket\.([^.}]+)\.(?:id|bucket|arn)\}")
KEY_REF = re.compile(r"^\$\{aws_kms_key\.([^.}]+)\.arn\}$")
PUBLIC_ACCESS_BLOCKS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
console = Console(highlight=False, width=int(os.environ.get("COLUMNS", "200")))
app = typer.Typer(add_completion=False, help=__doc__)


class ReportError(RuntimeError):
    """The synthesized output cannot be read."""


@dataclass(frozen=True)
class BucketRow:
    """One bucket's security properties; ``bucket_key`` and ``wrong_key_denied`` are None without SSE-KMS."""

    bucket: str
    env: str
    sse: str
    bucket_key: bool | None
    versioning: bool
    public_access_blocks: tuple[bool, bool, bool, bool]
    tls_only: bool
    wrong_key_denied: bool | None
    logging_to: str
    lifecycle_rules: tuple[str, ...]
    replicates_to: str
    eventbridge: bool
    classification: str


def _by_bucket(config: dict, resource_type: str) -> dict[str, dict]:
    """Resources of ``resource_type`` keyed by the logical id of the bucket they configure."""
    found = {}
    for body in config.get("resource", {}).get(resource_type, {}).values():
        match = BUCKET_REF.match(str(body.get("bucket", "")))
        if match:
            found[match.group(1)] = body
    return found


def _bucket_name(config: dict, reference: str) -> str:
    match = BUCKET_REF.match(reference)
    buckets = config.get("resource", {}).get("aws_s3_bucket", {})
    return buckets[match.group(1)]["bucket"] if match and match.group(1) in buckets else reference


def _key_name(config: dict, reference: str | None) -> str:
    match = KEY_REF.match(reference or "")
    if not match:
        return reference or "-"
    key = config["resource"]["aws_kms_key"][match.group(1)]
    region = f"@{key['region']}" if "region" in key else ""
    return f"kms:{key.get('tags', {}).get('purpose', match.group(1))}{region}"


def _denies(policy: dict, condition_key: str) -> bool:
    return any(
        statement.get("Effect") == "Deny" and condition_key in values
        for statement in policy.get("Statement", [])
        for values in statement.get("Condition", {}).values()
    )


def bucket_rows(config: dict, env: str) -> list[BucketRow]:
    """Every bucket of one synthesized stack, with its properties resolved from the related resources."""
    encryption = _by_bucket(config, "aws_s3_bucket_server_side_encryption_configuration")
    versioning = _by_bucket(config, "aws_s3_bucket_versioning")
    blocks = _by_bucket(config, "aws_s3_bucket_public_access_block")
    policies = _by_bucket(config, "aws_s3_bucket_policy")
    logging = _by_bucket(config, "aws_s3_bucket_logging")
    lifecycles = _by_bucket(config, "aws_s3_bucket_lifecycle_configuration")
    replications = _by_bucket(config, "aws_s3_bucket_replication_configuration")
    notifications = _by_bucket(config, "aws_s3_bucket_notification")
    rows = []
    buckets = config.get("resource", {}).get("aws_s3_bucket", {})
    for logical_id, bucket in sorted(buckets.items(), key=lambda item: item[1]["bucket"]):
        rule = encryption.get(logical_id, {}).get("rule", [{}])[0]
        default = rule.get("apply_server_side_encryption_by_default", {})
        algorithm = default.get("sse_algorithm", "none")
        policy = json.loads(policies[logical_id]["policy"]) if logical_id in policies else {}
        block = blocks.get(logical_id, {})
        replication = replications.get(logical_id)
        rows.append(
            BucketRow(
                bucket=bucket["bucket"],
                env=env,
                sse=_key_name(config, default.get("kms_master_key_id")) if algorithm == "aws:kms" else algorithm,
                bucket_key=bool(rule.get("bucket_key_enabled")) if algorithm == "aws:kms" else None,
                versioning=versioning.get(logical_id, {}).get("versioning_configuration", {}).get("status")
                == "Enabled",
                public_access_blocks=tuple(block.get(name) is True for name in PUBLIC_ACCESS_BLOCKS),
                tls_only=_denies(policy, "aws:SecureTransport"),
                wrong_key_denied=_denies(policy, "s3:x-amz-server-side-encryption-aws-kms-key-id")
                if algorithm == "aws:kms"
                else None,
                logging_to=_bucket_name(config, logging[logical_id]["target_bucket"]) if logical_id in logging else "-",
                lifecycle_rules=tuple(r["id"] for r in lifecycles.get(logical_id, {}).get("rule", [])),
                replicates_to=", ".join(
                    f"{r['filter']['prefix']}→{_bucket_name(config, r['destination']['bucket'])}"
                    for r in replication["rule"]
                )
                if replication
                else "-",
                eventbridge=notifications.get(logical_id, {}).get("eventbridge") is True,
                classification=bucket.get("tags", {}).get("data-classification", "-"),
            )
        )
    return rows


def read_stacks(outdir: Path) -> dict[str, dict]:
    """Environment name -> synthesized config for every stack under ``outdir/stacks``."""
    stacks = {}
    for path in sorted((outdir / "stacks").glob("northwind-*/cdk.tf.json")):
        try:
            stacks[path.parent.name.removeprefix("northwind-")] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ReportError(f"{path} is not valid JSON ({error}); synthesize again with 'make synth'") from None
    return stacks


def synthesize_into(outdir: Path) -> None:
    """Synthesize every environment into ``outdir`` (for reports run before any ``make synth``)."""
    from main import build_app

    build_app(load_environments(), outdir).synth()


def _mark(value: bool | None) -> str:
    return "n/a" if value is None else "yes" if value else "NO"


HEADERS = (
    "bucket",
    "env",
    "SSE",
    "bucket key",
    "versioning",
    "public-access blocks",
    "TLS only",
    "wrong-key deny",
    "access logs to",
    "lifecycle rules",
    "replication",
    "events to EventBridge",
    "classification",
)


def cells(row: BucketRow) -> tuple[str, ...]:
    """The row as printed, in the order of ``HEADERS``."""
    return (
        row.bucket,
        row.env,
        row.sse,
        _mark(row.bucket_key),
        _mark(row.versioning),
        f"{sum(row.public_access_blocks)}/4",
        _mark(row.tls_only),
        _mark(row.wrong_key_denied),
        row.logging_to,
        ", ".join(row.lifecycle_rules) or "NONE",
        row.replicates_to,
        _mark(row.eventbridge),
        row.classification,
    )


def render_table(rows: list[BucketRow]) -> Table:
    """The rows as a terminal table."""
    table = Table(title="S3 buckets: security properties from the synthesized stacks")
    for header in HEADERS:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*cells(row))
    return table


def render_markdown(rows: list[BucketRow]) -> str:
    """The rows as a Markdown table (for review notes)."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    return "\n".join(lines)


@app.command()
def main(
    outdir: Annotated[Path, typer.Option(help="Synthesized output to read (synthesized first if empty).")] = REPO_ROOT
    / "cdktf.out",
    markdown: Annotated[bool, typer.Option(help="Print a Markdown table instead of a terminal table.")] = False,
) -> None:
    """Print the bucket table; exit 2 when the synthesized output cannot be read."""
    try:
        stacks = read_stacks(outdir)
        if not stacks:
            console.print(f"no synthesized stacks in {outdir}; synthesizing every environment there ...")
            synthesize_into(outdir)
            stacks = read_stacks(outdir)
    except (ReportError, EnvironmentDefinitionError) as error:
        console.print(f"[bold red]error:[/] {escape(str(error))}")
        raise typer.Exit(2) from None
    rows = [row for env, config in stacks.items() for row in bucket_rows(config, env)]
    if markdown:
        print(render_markdown(rows))
    else:
        console.print(render_table(rows))


if __name__ == "__main__":
    sys.exit(app())
