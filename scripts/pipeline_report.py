"""The promotion pipeline as synthesized: its stages and actions in order, the role each action runs as and
the role it assumes in the environment, and what every one of those roles may do.

    python -m scripts.pipeline_report [--outdir cdktf.out]

Read from ``<outdir>/stacks/*/cdk.tf.json`` (run ``make synth`` first); prints Markdown, so the tables in the
runbooks and reviews are generated, never typed.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
import yaml

from environments import DELIVERY_NAME

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}")
ASSUMED = re.compile(r"--role-arn (\S+)")
app = typer.Typer(add_completion=False, help=__doc__)


@dataclass(frozen=True)
class ActionRow:
    stage: str
    order: int
    action: str
    kind: str
    reads: str
    writes: str
    runs_as: str
    assumes: str


def _readable(config: dict, text: str) -> str:
    """Terraform references as the names they will resolve to: ``bucket:<name>``, ``project:<name>``."""

    def name_of(match: re.Match) -> str:
        resource_type, key, _ = match.groups()
        section = "data" if resource_type == "data" else "resource"
        body = config.get(section, {}).get(resource_type, {}).get(key, {})
        label = body.get("name") or body.get("bucket") or body.get("tags", {}).get("purpose") or key
        return f"<{resource_type.removeprefix('aws_')} {label}>"

    text = re.sub(
        r"\$\{data\.([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}", lambda m: f"<{m.group(1)} {m.group(2)}>", text
    )
    return REFERENCE.sub(name_of, text)


def _role_names(config: dict) -> dict[str, str]:
    return {key: body["name"] for key, body in config.get("resource", {}).get("aws_iam_role", {}).items()}


def action_rows(config: dict) -> list[ActionRow]:
    """Every action of the pipeline, in the order it runs."""
    (pipeline,) = config["resource"]["aws_codepipeline"].values()
    projects = config["resource"].get("aws_codebuild_project", {})
    roles = _role_names(config)
    pipeline_role = roles[pipeline["role_arn"].split(".")[1]]
    rows = []
    for stage in pipeline["stage"]:
        for action in stage["action"]:
            runs_as, assumes = pipeline_role, ""
            if action["provider"] == "CodeBuild":
                key = action["configuration"]["ProjectName"].split(".")[1]
                project = projects[key]
                runs_as = roles[project["service_role"].split(".")[1]]
                commands = " ".join(yaml.safe_load(project["source"]["buildspec"])["phases"]["build"]["commands"])
                assumes = ", ".join(ASSUMED.findall(commands))
            rows.append(
                ActionRow(
                    stage=stage["name"],
                    order=int(action.get("run_order", 1)),
                    action=action["name"],
                    kind=f"{action['category']} ({action['provider']})",
                    reads=", ".join(action.get("input_artifacts") or []) or "-",
                    writes=", ".join(action.get("output_artifacts") or []) or "-",
                    runs_as=runs_as,
                    assumes=assumes or "-",
                )
            )
    return rows


def role_grants(config: dict) -> dict[str, list[str]]:
    """Role name -> its trust and every statement it holds, one line each, references made readable."""
    roles = config.get("resource", {}).get("aws_iam_role", {})
    grants: dict[str, list[str]] = {}
    for key, body in roles.items():
        lines = []
        for statement in json.loads(body["assume_role_policy"])["Statement"]:
            condition = f" if {json.dumps(statement['Condition'])}" if "Condition" in statement else ""
            lines.append(f"trusted by {json.dumps(statement['Principal'])}{condition}")
        for policy in config["resource"].get("aws_iam_role_policy", {}).values():
            if policy["role"] == f"${{aws_iam_role.{key}.id}}":
                for statement in json.loads(policy["policy"])["Statement"]:
                    resources = ", ".join(statement["Resource"])
                    condition = f" if {json.dumps(statement['Condition'])}" if "Condition" in statement else ""
                    lines.append(f"{statement['Sid']}: {', '.join(statement['Action'])} on {resources}{condition}")
        grants[body["name"]] = [_readable(config, line) for line in lines]
    return grants


def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render(stacks: dict[str, dict]) -> str:
    delivery = stacks[f"northwind-{DELIVERY_NAME}"]
    rows = action_rows(delivery)
    out = [
        "## Stages and actions, in order",
        "",
        _table(
            ["stage", "#", "action", "kind", "reads", "writes", "runs as (delivery account)", "assumes (target)"],
            [[r.stage, str(r.order), r.action, r.kind, r.reads, r.writes, r.runs_as, r.assumes] for r in rows],
        ),
        "",
        "## What each role may do",
        "",
    ]
    grants = role_grants(delivery)
    in_order = list(dict.fromkeys(r.runs_as for r in rows)) + sorted(set(grants) - {r.runs_as for r in rows})
    for name in in_order:
        out += [f"### {name} (delivery account)", "", *(f"- {line}" for line in grants[name]), ""]
    for stack_name, config in sorted(stacks.items()):
        if stack_name == f"northwind-{DELIVERY_NAME}":
            continue
        for name, lines in role_grants(config).items():
            if name.endswith("-smoke-test"):
                out += [f"### {name} ({stack_name}'s account)", "", *(f"- {line}" for line in lines), ""]
    return "\n".join(out).rstrip() + "\n"


def read_stacks(outdir: Path) -> dict[str, dict]:
    return {path.parent.name: json.loads(path.read_text()) for path in sorted(outdir.glob("stacks/*/cdk.tf.json"))}


@app.command()
def main(
    outdir: Annotated[Path, typer.Option(help="Where `make synth` wrote the stacks.")] = REPO_ROOT / "cdktf.out",
) -> None:
    stacks = read_stacks(outdir)
    if f"northwind-{DELIVERY_NAME}" not in stacks:
        typer.echo(f"error: no northwind-{DELIVERY_NAME} stack under {outdir}/stacks; run `make synth` first", err=True)
        raise typer.Exit(2)
    typer.echo(render(stacks))


if __name__ == "__main__":
    sys.exit(app())
