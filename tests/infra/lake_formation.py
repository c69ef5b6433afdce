"""Lake Formation's tag-based access worked out from a synthesized stack, as Lake Formation evaluates it.

A column's LF-tags are its own, else its table's, else its database's (per tag key). A tag-policy grant on
``TABLE`` resources gives its permissions on every column whose tags match every expression of the grant.
"""

from __future__ import annotations

from dataclasses import dataclass

REF_NAME = "${{{kind}.{key}.name}}"


@dataclass(frozen=True)
class Column:
    """One column of a synthesized Glue table with its effective LF-tags."""

    zone: str
    table: str
    name: str
    tags: dict[str, str]
    table_ref: str  # the table's name reference, as tag assignments name it


def tag_keys(stack) -> dict[str, str]:
    """LF-tag key reference -> the key's name."""
    return {
        f"${{aws_lakeformation_lf_tag.{k}.key}}": b["key"]
        for k, b in stack.resources("aws_lakeformation_lf_tag").items()
    }


def assigned_tags(body: dict, keys: dict[str, str]) -> dict[str, str]:
    """Tag name -> value of one ``aws_lakeformation_resource_lf_tags``."""
    return {keys[tag["key"]]: tag["value"] for tag in body["lf_tag"]}


def effective_columns(stack) -> list[Column]:
    """Every column (partition keys included) of every catalog table, with the LF-tags Lake Formation applies."""
    keys = tag_keys(stack)
    assignments = stack.resources("aws_lakeformation_resource_lf_tags").values()
    databases = {
        REF_NAME.format(kind="aws_glue_catalog_database", key=k): b
        for k, b in stack.resources("aws_glue_catalog_database").items()
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
    for key, table in stack.resources("aws_glue_catalog_table").items():
        ref = REF_NAME.format(kind="aws_glue_catalog_table", key=key)
        database = databases[table["database_name"]]
        inherited = {**database_tags[table["database_name"]], **table_tags.get(ref, {})}
        names = [c["name"] for c in table["storage_descriptor"]["columns"]]
        names += [k["name"] for k in table.get("partition_keys", [])]
        for name in names:
            tags = {**inherited, **column_tags.get((ref, name), {})}
            columns.append(Column(database["tags"]["zone"], table["name"], name, tags, ref))
    return columns


def readable_columns(stack, principal_ref: str) -> set[tuple[str, str, str]]:
    """(zone, table, column) the principal may SELECT through its tag-policy grants on tables."""
    keys = tag_keys(stack)
    expressions = [
        {keys[e["key"]]: set(e["values"]) for e in body["lf_tag_policy"]["expression"]}
        for body in stack.resources("aws_lakeformation_permissions").values()
        if body["principal"] == principal_ref
        and body.get("lf_tag_policy", {}).get("resource_type") == "TABLE"
        and "SELECT" in body["permissions"]
    ]
    return {
        (c.zone, c.table, c.name)
        for c in effective_columns(stack)
        for expression in expressions
        if all(c.tags.get(key) in values for key, values in expression.items())
    }
