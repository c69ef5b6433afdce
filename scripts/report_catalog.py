"""The catalog tables, their LF-tagged PII columns, who may select which columns, and the Athena workgroups,
read from the synthesized Terraform JSON.

    python -m scripts.report_catalog [--outdir cdktf.out] [--markdown]

Lake Formation's tag-based access is worked out as Lake Formation evaluates it: a column's LF-tags are its
own, else its table's, else its database's (per tag key), and a tag-policy grant on ``TABLE`` resources gives
its permissions on every column whose tags match every expression of the grant. Nothing is typed by hand.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from environments import EnvironmentDefinitionError
from scripts.report_buckets import REPO_ROOT, ReportError, console, read_stacks, synthesize_into

PII = "confidential-pii"
GIB = 1024**3
ROLE_REF = re.compile(r"^\$\{aws_iam_role\.([^.}]+)\.arn\}$")
app = typer.Typer(add_completion=False, help=__doc__)


def _resources(config: dict, resource_type: str) -> dict[str, dict]:
    return config.get("resource", {}).get(resource_type, {})


@dataclass(frozen=True)
class Column:
    """One column (or partition key) of a catalog table with the LF-tags Lake Formation applies to it."""

    zone: str
    table: str
    name: str
    tags: dict[str, str]
    table_ref: str  # the table's name reference, as tag assignments name it


def tag_keys(config: dict) -> dict[str, str]:
    """LF-tag key reference -> the key's name."""
    return {
        f"${{aws_lakeformation_lf_tag.{k}.key}}": b["key"]
        for k, b in _resources(config, "aws_lakeformation_lf_tag").items()
    }


def assigned_tags(body: dict, keys: dict[str, str]) -> dict[str, str]:
    """Tag name -> value of one ``aws_lakeformation_resource_lf_tags``."""
    return {keys[tag["key"]]: tag["value"] for tag in body["lf_tag"]}


def effective_columns(config: dict) -> list[Column]:
    """Every column (partition keys included) of every catalog table, with its effective LF-tags."""
    keys = tag_keys(config)
    assignments = _resources(config, "aws_lakeformation_resource_lf_tags").values()
    databases = {
        f"${{aws_glue_catalog_database.{k}.name}}": b
        for k, b in _resources(config, "aws_glue_catalog_database").items()
    }
    database_tags = {a["database"]["name"]: assigned_tags(a, keys) for a in assignments if "database" in a}
    table_tags: dict[str, dict[str, str]] = {}
    column_tags: dict[tuple[str, str], dict[str, str]] = {}
    for assignment in assignments:
        if "table" in assignment:
            table_tags.setdefault(assignment["table"]["name"], {}).update(assigned_tags(assignment, keys))
        if "table_with_columns" in assignment:
            target = assignment["table_with_columns"]
            for name in target["column_names"]:
                column_tags.setdefault((target["name"], name), {}).update(assigned_tags(assignment, keys))
    columns = []
    for key, table in _resources(config, "aws_glue_catalog_table").items():
        ref = f"${{aws_glue_catalog_table.{key}.name}}"
        inherited = {**database_tags[table["database_name"]], **table_tags.get(ref, {})}
        names = [c["name"] for c in table["storage_descriptor"]["columns"]]
        names += [k["name"] for k in table.get("partition_keys", [])]
        zone = databases[table["database_name"]]["tags"]["zone"]
        columns += [Column(zone, table["name"], n, {**inherited, **column_tags.get((ref, n), {})}, ref) for n in names]
    return columns


def readable_columns(config: dict, principal_ref: str) -> set[tuple[str, str, str]]:
    """(zone, table, column) the principal may SELECT through its tag-policy grants on tables."""
    keys = tag_keys(config)
    expressions = [
        {keys[e["key"]]: set(e["values"]) for e in body["lf_tag_policy"]["expression"]}
        for body in _resources(config, "aws_lakeformation_permissions").values()
        if body["principal"] == principal_ref
        and body.get("lf_tag_policy", {}).get("resource_type") == "TABLE"
        and "SELECT" in body["permissions"]
    ]
    return {
        (c.zone, c.table, c.name)
        for c in effective_columns(config)
        for expression in expressions
        if all(c.tags.get(key) in values for key, values in expression.items())
    }


def _role_name(config: dict, reference: str) -> str:
    match = ROLE_REF.match(reference)
    roles = _resources(config, "aws_iam_role")
    return roles[match.group(1)]["name"] if match and match.group(1) in roles else reference


def _bucket_name(config: dict, text: str) -> str:
    buckets = _resources(config, "aws_s3_bucket")
    return re.sub(r"\$\{aws_s3_bucket\.([^.}]+)\.bucket\}", lambda m: buckets[m.group(1)]["bucket"], text)


def table_rows(config: dict, env: str) -> list[tuple[str, ...]]:
    """(env, table, partition keys and projection, table tag, columns tagged confidential PII) per table."""
    columns = effective_columns(config)
    zones = {
        f"${{aws_glue_catalog_database.{k}.name}}": b["name"]
        for k, b in _resources(config, "aws_glue_catalog_database").items()
    }
    rows = []
    for key, table in sorted(_resources(config, "aws_glue_catalog_table").items(), key=lambda i: i[1]["name"]):
        ref = f"${{aws_glue_catalog_table.{key}.name}}"
        parameters = table.get("parameters", {})
        partitions = [
            f"{name} {kind} ({parameters.get(f'projection.{name}.range', 'not projected')})"
            for name, kind in ((k["name"], k["type"]) for k in table.get("partition_keys", []))
        ]
        own = [c for c in columns if c.table_ref == ref]
        table_tag = next(
            (
                assigned_tags(a, tag_keys(config)).get("data-classification", "-")
                for a in _resources(config, "aws_lakeformation_resource_lf_tags").values()
                if a.get("table", {}).get("name") == ref
            ),
            "-",
        )
        pii = [c.name for c in own if c.tags.get("data-classification") == PII]
        rows.append(
            (
                env,
                f"{zones[table['database_name']]}.{table['name']}",
                "; ".join(partitions) or "-",
                table_tag,
                ", ".join(pii) or "-",
            )
        )
    return sorted(rows, key=lambda row: row[1])


def access_rows(config: dict, env: str) -> list[tuple[str, ...]]:
    """(env, role, columns selectable per zone, PII columns among them) for every role with a table grant."""
    columns = {(c.zone, c.table, c.name): c for c in effective_columns(config)}
    principals = sorted(
        {
            body["principal"]
            for body in _resources(config, "aws_lakeformation_permissions").values()
            if body.get("lf_tag_policy", {}).get("resource_type") == "TABLE"
        },
        key=lambda ref: _role_name(config, ref),
    )
    rows = []
    for principal in principals:
        readable = readable_columns(config, principal)
        per_zone = {}
        for zone, _, _ in readable:
            per_zone[zone] = per_zone.get(zone, 0) + 1
        pii = sum(1 for key in readable if columns[key].tags.get("data-classification") == PII)
        zones = ", ".join(f"{zone} {count}" for zone, count in sorted(per_zone.items())) or "none"
        rows.append((env, _role_name(config, principal), zones, str(pii)))
    return rows


def workgroup_rows(config: dict, env: str) -> list[tuple[str, ...]]:
    """(env, workgroup, enforced, engine, scan limit, results location, encryption, users) per workgroup."""
    users = [
        _role_name(config, body["principal"])
        for body in _resources(config, "aws_lakeformation_permissions").values()
        if body.get("database", {}).get("name") == "default"
    ]
    keys = {
        f"${{aws_kms_key.{k}.arn}}": b.get("tags", {}).get("purpose", k)
        for k, b in _resources(config, "aws_kms_key").items()
    }
    rows = []
    for body in _resources(config, "aws_athena_workgroup").values():
        configuration = body["configuration"]
        results = configuration["result_configuration"]
        encryption = results["encryption_configuration"]
        rows.append(
            (
                env,
                body["name"],
                "yes" if configuration.get("enforce_workgroup_configuration") else "NO",
                configuration["engine_version"]["selected_engine_version"],
                f"{configuration['bytes_scanned_cutoff_per_query'] / GIB:g} GiB",
                _bucket_name(config, results["output_location"]),
                f"{encryption['encryption_option']} kms:{keys.get(encryption.get('kms_key_arn'), '?')}",
                ", ".join(users) or "-",
            )
        )
    return rows


REPORTS = {
    "Catalog tables": (
        ("env", "table", "partition keys (projected range)", "table tag", "columns tagged confidential-pii"),
        table_rows,
    ),
    "Columns each role may select (Lake Formation)": (("env", "role", "columns by zone", "PII columns"), access_rows),
    "Athena workgroups": (
        ("env", "workgroup", "enforced", "engine", "scan limit", "results", "encryption", "users"),
        workgroup_rows,
    ),
}


@app.command()
def main(
    outdir: Annotated[Path, typer.Option(help="Synthesized output to read (synthesized first if empty).")] = REPO_ROOT
    / "cdktf.out",
    markdown: Annotated[bool, typer.Option(help="Print Markdown tables instead of terminal tables.")] = False,
) -> None:
    """Print the three tables; exit 2 when the synthesized output cannot be read."""
    try:
        stacks = read_stacks(outdir)
        if not stacks:
            console.print(f"no synthesized stacks in {outdir}; synthesizing every environment there ...")
            synthesize_into(outdir)
            stacks = read_stacks(outdir)
    except (ReportError, EnvironmentDefinitionError) as error:
        console.print(f"[bold red]error:[/] {escape(str(error))}")
        raise typer.Exit(2) from None
    for title, (headers, build) in REPORTS.items():
        rows = [row for env, config in stacks.items() for row in build(config, env)]
        if markdown:
            print(f"\n**{title}**\n")
            print("| " + " | ".join(headers) + " |\n|" + "---|" * len(headers))
            print("\n".join("| " + " | ".join(row) + " |" for row in rows))
        else:
            table = Table(title=title)
            for header in headers:
                table.add_column(header, overflow="fold")
            for row in rows:
                table.add_row(*row)
            console.print(table)


if __name__ == "__main__":
    sys.exit(app())
