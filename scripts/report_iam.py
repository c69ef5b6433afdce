"""Every IAM role: who may assume it, under which conditions, with which boundary, and what it may do.

    python -m scripts.report_iam [--outdir cdktf.out] [--env prod] [--markdown]

Reads ``<outdir>/stacks/*/cdk.tf.json`` (synthesizing every stack there first when no stack is found) for the
stacks' roles, the delivery account's too (``--env delivery``), and ``scripts.account_policies`` for the roles
the account bootstrap owns (break glass, plan, deploy). Terraform references are shown by what they name
(``bucket northwind-data-lake-dev-…``, ``key lake``). Nothing in the tables is typed by hand.
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

from environments import AccountDefinition, DeliveryConfig, EnvironmentDefinitionError, load_delivery, load_environments
from scripts.account_policies import account_roles
from scripts.report_buckets import ReportError, read_stacks

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"\$\{(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}")
console = Console(highlight=False, width=int(os.environ.get("COLUMNS", "220")))
app = typer.Typer(add_completion=False, help=__doc__)


@dataclass(frozen=True)
class Grant:
    """One statement of a role's policies."""

    policy: str
    sid: str
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: str


@dataclass(frozen=True)
class RoleRow:
    """One role: its trust (principals, conditions), boundary and grants."""

    env: str
    name: str
    owner: str
    assumed_by: tuple[str, ...]
    trust_conditions: tuple[str, ...]
    boundary: str
    grants: tuple[Grant, ...]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _resolver(config: dict):
    """A function showing ``${type.name.attr}`` references by what they name."""
    resources = config.get("resource", {})
    data = config.get("data", {})

    def name_of(match: re.Match) -> str:
        is_data, resource_type, name, _attribute = match.groups()
        body = (data if is_data else resources).get(resource_type, {}).get(name, {})
        label = resource_type.removeprefix("aws_").replace("_", " ")
        if resource_type == "aws_kms_key":
            return f"key {body.get('tags', {}).get('purpose', name)}"
        for field in ("bucket", "name", "identifier", "alarm_name", "arn", "domain"):
            if isinstance(body.get(field), str) and "${" not in body[field]:
                return f"{label} {body[field]}"
        return f"{label} {name}"

    return lambda text: REFERENCE.sub(name_of, str(text))


def _conditions(block: dict | None, show) -> str:
    if not block:
        return "-"
    return "; ".join(
        f"{operator} {key} = {', '.join(show(v) for v in _as_list(values))}"
        for operator, pairs in block.items()
        for key, values in pairs.items()
    )


def _grants(policy_name: str, document: dict, show) -> list[Grant]:
    return [
        Grant(
            policy=policy_name,
            sid=statement.get("Sid", "-"),
            effect=statement.get("Effect", "Allow"),
            actions=tuple(_as_list(statement.get("Action", []))),
            resources=tuple(show(r) for r in _as_list(statement.get("Resource", []))),
            conditions=_conditions(statement.get("Condition"), show),
        )
        for statement in _as_list(document.get("Statement", []))
    ]


def _trust(document: dict, show) -> tuple[tuple[str, ...], tuple[str, ...]]:
    principals, conditions = [], []
    for statement in _as_list(document.get("Statement", [])):
        for kind, values in statement.get("Principal", {}).items():
            principals += [f"{kind} {show(v)}" for v in _as_list(values)]
        conditions.append(_conditions(statement.get("Condition"), show))
    return tuple(principals), tuple(conditions)


def role_rows(config: dict, env: str) -> list[RoleRow]:
    """Every ``aws_iam_role`` of one synthesized stack, with its inline and attached policies."""
    show = _resolver(config)
    resources = config.get("resource", {})
    rows = []
    for logical_id, role in sorted(resources.get("aws_iam_role", {}).items(), key=lambda item: item[1]["name"]):
        references = {f"${{aws_iam_role.{logical_id}.{attribute}}}" for attribute in ("id", "name")}
        grants = []
        for policy in resources.get("aws_iam_role_policy", {}).values():
            if policy["role"] in references:
                grants += _grants(policy.get("name", "inline"), json.loads(policy["policy"]), show)
        for attachment in resources.get("aws_iam_role_policy_attachment", {}).values():
            if attachment["role"] in references:
                arn = attachment["policy_arn"]
                grants.append(Grant(f"managed {arn.rsplit('/', 1)[-1]}", "-", "Allow", ("(AWS managed)",), (arn,), "-"))
        assumed_by, trust_conditions = _trust(json.loads(role["assume_role_policy"]), show)
        rows.append(
            RoleRow(
                env=env,
                name=role["name"],
                owner="stack",
                assumed_by=assumed_by,
                trust_conditions=trust_conditions,
                boundary=show(role.get("permissions_boundary", "NONE")),
                grants=tuple(grants),
            )
        )
    return rows


def account_role_rows(account: AccountDefinition, delivery: DeliveryConfig) -> list[RoleRow]:
    """The roles the account bootstrap owns, from the same documents the bootstrap applies."""
    rows = []
    for spec in account_roles(account, delivery):
        grants = [
            Grant(f"managed {arn.rsplit('/', 1)[-1]}", "-", "Allow", ("(AWS managed)",), (arn,), "-")
            for arn in spec.aws_managed_policies
        ]
        for index, document in enumerate(spec.own_policies, start=1):
            grants += _grants(f"{spec.name}-{index}", json.loads(document), str)
        assumed_by, trust_conditions = _trust(json.loads(spec.trust), str)
        rows.append(
            RoleRow(
                account.name,
                spec.name,
                "account bootstrap",
                assumed_by,
                trust_conditions,
                spec.boundary_name if spec.boundary else "none (break glass: the repair path, MFA and alerted)",
                tuple(grants),
            )
        )
    return rows


def render_markdown(rows: list[RoleRow]) -> str:
    """A section per role: its trust and boundary, then a table of its grants."""
    lines = []
    for row in rows:
        lines += [
            f"#### {row.name} ({row.env}, {row.owner})",
            "",
            f"- assumed by: {'; '.join(row.assumed_by)}",
            f"- under: {' | '.join(row.trust_conditions)}",
            f"- permissions boundary: {row.boundary}",
            "",
            "| policy | sid | effect | actions | resources | conditions |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {g.policy} | {g.sid} | {g.effect} | {', '.join(g.actions)} | {', '.join(g.resources)} "
            f"| {g.conditions} |"
            for g in row.grants
        ]
        lines.append("")
    return "\n".join(lines).replace("$${", "${")


def render_tables(rows: list[RoleRow]) -> list[Table]:
    """One terminal table per role."""
    tables = []
    for row in rows:
        table = Table(
            title=f"{row.name} ({row.env}, {row.owner}): assumed by {'; '.join(row.assumed_by)} "
            f"under {' | '.join(row.trust_conditions)}; boundary {row.boundary}",
            title_justify="left",
        )
        for column in ("policy", "sid", "effect", "actions", "resources", "conditions"):
            table.add_column(column, overflow="fold")
        for grant in row.grants:
            table.add_row(
                grant.policy,
                grant.sid,
                grant.effect,
                "\n".join(grant.actions),
                "\n".join(grant.resources),
                grant.conditions,
            )
        tables.append(table)
    return tables


def _synthesize(outdir: Path) -> None:
    from main import build_app

    build_app(load_environments(), outdir).synth()


@app.command()
def main(
    outdir: Annotated[Path, typer.Option(help="Synthesized output to read (synthesized first if empty).")] = REPO_ROOT
    / "cdktf.out",
    env: Annotated[str | None, typer.Option(help="One environment only (default: all).")] = None,
    markdown: Annotated[bool, typer.Option(help="Print Markdown instead of terminal tables.")] = False,
) -> None:
    """Print every role; exit 2 when the synthesized output or the definitions cannot be read."""
    try:
        environments = load_environments()
        delivery = load_delivery(environments=environments)
        accounts = {**environments, delivery.name: delivery}
        stacks = read_stacks(outdir)
        if not stacks:
            console.print(f"no synthesized stacks in {outdir}; synthesizing every environment there ...")
            _synthesize(outdir)
            stacks = read_stacks(outdir)
        if env is not None and env not in stacks:
            raise ReportError(f"no synthesized stack for {env!r}; found {', '.join(sorted(stacks))}")
    except (ReportError, EnvironmentDefinitionError) as error:
        console.print(f"[bold red]error:[/] {escape(str(error))}")
        raise typer.Exit(2) from None
    rows = []
    for name, config in stacks.items():
        if env is None or name == env:
            rows += account_role_rows(accounts[name], delivery) + role_rows(config, name)
    if markdown:
        print(render_markdown(rows))
    else:
        for table in render_tables(rows):
            console.print(table)
    console.print(f"{len(rows)} roles in {len({row.env for row in rows})} account(s)")


if __name__ == "__main__":
    sys.exit(app())
