"""A reviewer's summary of a Terraform plan in its JSON form (``terraform show -json <planfile>``).

The approval's subject: what is added, changed, replaced and destroyed, with the changes the deploy runbook
asks a reviewer to stop at called out first: data-bearing resources destroyed or replaced, IAM and resource
policies that grant something new, network paths that change, and drift found outside Terraform.
Standard library only: the plan build runs it with the build image's Python.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

# Destroying one of these loses data, or (a key) the ability to read data encrypted with it.
DATA_BEARING = {
    "aws_s3_bucket": "a bucket and its objects",
    "aws_db_instance": "the database and its automated backups",
    "aws_rds_cluster": "a database cluster",
    "aws_kms_key": "a key: data encrypted with it becomes unreadable",
    "aws_dynamodb_table": "a table and its items",
    "aws_secretsmanager_secret": "a secret and its values",
    "aws_backup_vault": "a vault of recovery points",
    "aws_glue_catalog_database": "a catalog database and its table definitions",
    "aws_glue_catalog_table": "a table definition",
    "aws_cloudwatch_log_group": "a log group and its events",
    "aws_efs_file_system": "a file system",
    "aws_ebs_volume": "a volume",
}
# Resources whose documents grant access; a change to one is read for what it newly allows.
ACCESS_TYPES = frozenset(
    {
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_iam_policy",
        "aws_iam_role_policy_attachment",
        "aws_iam_instance_profile",
        "aws_iam_saml_provider",
        "aws_iam_openid_connect_provider",
        "aws_kms_key",
        "aws_kms_grant",
        "aws_s3_bucket_policy",
        "aws_sns_topic_policy",
        "aws_secretsmanager_secret_policy",
        "aws_lakeformation_permissions",
        "aws_lakeformation_data_lake_settings",
    }
)
POLICY_ATTRIBUTES = ("policy", "assume_role_policy")
NETWORK_TYPES = frozenset(
    {
        "aws_security_group",
        "aws_security_group_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
        "aws_default_security_group",
        "aws_route",
        "aws_route_table",
        "aws_route_table_association",
        "aws_subnet",
        "aws_internet_gateway",
        "aws_nat_gateway",
        "aws_network_acl",
        "aws_network_acl_rule",
        "aws_vpc_endpoint",
        "aws_vpc_peering_connection",
        "aws_lb_listener",
        "aws_wafv2_web_acl",
        "aws_wafv2_web_acl_association",
    }
)
NETWORK_DETAIL = ("cidr_ipv4", "cidr_blocks", "from_port", "to_port", "ip_protocol", "destination_cidr_block")
LISTED_PER_SECTION = 40
LISTED_GRANTS = 8
# The headline travels in the approval's message, which CodePipeline caps at 500 characters.
HEADLINE_LIMIT = 160


@dataclass(frozen=True)
class ResourceChange:
    """One planned change to one resource instance."""

    address: str
    resource_type: str
    actions: tuple[str, ...]
    replace_paths: tuple[tuple[str, ...], ...] = ()
    reason: str | None = None

    @property
    def kind(self) -> str:
        """create, update, replace, delete, forget, read or no-op; a replacement either way round is one."""
        if set(self.actions) == {"create", "delete"}:
            return "replace"
        return self.actions[0] if len(self.actions) == 1 else "+".join(self.actions)


@dataclass
class PlanSummary:
    """What a saved plan will do, counted the way Terraform counts it and with reasons to look twice."""

    stack: str
    changes: list[ResourceChange]
    attention: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[ResourceChange]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def counts(self) -> dict[str, int]:
        """Terraform's own arithmetic: a replacement is one add and one destroy."""
        replaced = len(self.of_kind("replace"))
        return {
            "add": len(self.of_kind("create")) + replaced,
            "change": len(self.of_kind("update")),
            "destroy": len(self.of_kind("delete")) + replaced,
            "replace": replaced,
            "forget": len(self.of_kind("forget")),
        }

    def headline(self) -> str:
        """One line for the approval's message (it carries at most a few hundred characters)."""
        counts = self.counts
        if not any(counts.values()):
            return "No changes: the environment already matches this commit."
        line = f"Plan: {counts['add']} to add, {counts['change']} to change, {counts['destroy']} to destroy"
        if counts["replace"]:
            line += f" ({counts['replace']} replaced)"
        if counts["forget"]:
            line += f", {counts['forget']} to forget"
        concerns = Counter(item.split(":", 1)[0] for item in self.attention)
        if self.drift:
            concerns["drift"] = len(self.drift)
        if concerns:
            line += "; look twice: " + ", ".join(f"{n} {kind}" for kind, n in sorted(concerns.items()))
        line += "."
        return line if len(line) <= HEADLINE_LIMIT else line[: HEADLINE_LIMIT - 3] + "..."

    def render(self, plan_sha256: str | None = None) -> str:
        """The full summary as Markdown, the most consequential changes first."""
        lines = [f"# {self.stack}: {self.headline()}", ""]
        if plan_sha256:
            lines += [f"Saved plan sha256 `{plan_sha256}`: approving applies exactly this file.", ""]
        lines += _section("Look twice", self.attention)
        lines += _section("Changed outside Terraform since the last apply (drift)", self.drift)
        lines += _section(
            "Replaced: destroyed, then created again",
            [f"`{c.address}`: {_replace_reason(c)}" for c in self.of_kind("replace")],
        )
        lines += _section("Destroyed", [f"`{c.address}`{_why(c)}" for c in self.of_kind("delete")])
        lines += _section(
            "Forgotten (removed from state, left in AWS)", [f"`{c.address}`" for c in self.of_kind("forget")]
        )
        lines += _section("Changed in place", [f"`{c.address}`" for c in self.of_kind("update")])
        lines += _section("Created", [f"`{c.address}`" for c in self.of_kind("create")])
        by_type = Counter((c.resource_type, c.kind) for c in self.changes if c.kind not in ("no-op", "read"))
        if by_type:
            lines += ["## By resource type", "", "| type | change | count |", "| --- | --- | --- |"]
            lines += [f"| {t} | {k} | {n} |" for (t, k), n in sorted(by_type.items())]
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def _section(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    shown = [f"- {item}" for item in items[:LISTED_PER_SECTION]]
    if len(items) > LISTED_PER_SECTION:
        shown.append(f"- ... and {len(items) - LISTED_PER_SECTION} more (see plan.json)")
    return [f"## {title} ({len(items)})", "", *shown, ""]


def _why(change: ResourceChange) -> str:
    reasons = {
        "delete_because_no_resource_config": "no longer in the configuration",
        "delete_because_no_module": "its module was removed",
        "delete_because_wrong_repetition": "count/for_each changed",
        "delete_because_count_index": "count shrank",
        "delete_because_each_key": "its for_each key is gone",
    }
    return f" ({reasons[change.reason]})" if change.reason in reasons else ""


def _replace_reason(change: ResourceChange) -> str:
    if change.replace_paths:
        paths = ", ".join(".".join(str(part) for part in path) for path in change.replace_paths)
        return f"{paths} cannot change in place"
    if change.reason == "replace_by_request":
        return "replacement requested (-replace)"
    if change.reason == "replace_because_tainted":
        return "tainted by a failed apply"
    return "the provider replaces it"


def summarise(plan: Mapping, stack: str) -> PlanSummary:
    """Summarise a plan in Terraform's JSON plan format (format_version 1.x)."""
    version = str(plan.get("format_version", ""))
    if not version.startswith("1."):
        raise ValueError(f"not a Terraform JSON plan (format_version {version!r}); use `terraform show -json`")
    changes, attention = [], []
    for entry in plan.get("resource_changes", []):
        if entry.get("mode", "managed") != "managed":
            continue
        body = entry["change"]
        change = ResourceChange(
            address=entry["address"],
            resource_type=entry["type"],
            actions=tuple(body["actions"]),
            replace_paths=tuple(tuple(str(p) for p in path) for path in body.get("replace_paths") or ()),
            reason=entry.get("action_reason"),
        )
        changes.append(change)
        attention += _concerns(change, body)
    drift = [
        f"`{entry['address']}` ({'+'.join(entry['change']['actions'])})"
        for entry in plan.get("resource_drift", [])
        if entry.get("mode", "managed") == "managed"
    ]
    return PlanSummary(stack, changes, attention, drift)


def _concerns(change: ResourceChange, body: Mapping) -> list[str]:
    kind, kind_word = change.kind, {"delete": "destroyed", "replace": "replaced"}.get(change.kind)
    found = []
    if kind_word and change.resource_type in DATA_BEARING:
        found.append(f"data: `{change.address}` {kind_word}, {DATA_BEARING[change.resource_type]}")
    if kind in ("create", "update", "replace") and change.resource_type in ACCESS_TYPES:
        grants = new_grants(body.get("before"), body.get("after"), body.get("after_unknown"))
        if grants:
            shown = "; ".join(grants[:LISTED_GRANTS]) + (" ..." if len(grants) > LISTED_GRANTS else "")
            found.append(f"access: `{change.address}` grants {shown}")
        elif not _only_narrows(body) and (changed := _changed_arguments(body)):
            found.append(f"access: `{change.address}` {kind}: {changed}")
    if kind in ("create", "update", "replace", "delete") and change.resource_type in NETWORK_TYPES:
        found.append(f"network: `{change.address}` {kind}{_network_detail(body.get('after') or body.get('before'))}")
    return found


def _only_narrows(body: Mapping) -> bool:
    """An update that changes nothing but policy documents, and grants nothing new, only removes access."""
    before, after = body.get("before") or {}, body.get("after") or {}
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)} - {"tags_all"}
    return bool(before) and bool(changed) and changed <= set(POLICY_ATTRIBUTES)


def _changed_arguments(body: Mapping) -> str:
    before, after = body.get("before") or {}, body.get("after") or {}
    unknown = body.get("after_unknown") or {}
    keys = sorted(k for k in before.keys() | after.keys() | unknown.keys() if before.get(k) != after.get(k))
    shown = [f"{k}={_text(after[k])[:80]}" if k in after else f"{k} (known at apply)" for k in keys if k != "tags_all"]
    return ", ".join(shown[:LISTED_GRANTS])


def _network_detail(values: Mapping | None) -> str:
    if not isinstance(values, Mapping):
        return ""
    parts = [f"{key}={values[key]}" for key in NETWORK_DETAIL if values.get(key) not in (None, [], "")]
    return f" ({', '.join(parts)})" if parts else ""


def new_grants(before: Mapping | None, after: Mapping | None, after_unknown: Mapping | None = None) -> list[str]:
    """What the ``after`` policy documents allow that the ``before`` ones did not, one line per grant.

    Documents Terraform knows only at apply (they embed other resources' new ARNs) are reported as such, since
    the approver cannot see what they will grant.
    """
    grants: list[str] = []
    unknown = after_unknown or {}
    for attribute in POLICY_ATTRIBUTES:
        if unknown.get(attribute) is True:
            grants.append(f"{attribute} known only at apply")
            continue
        previous = _grants(_document((before or {}).get(attribute)))
        grants += _grouped(_grants(_document((after or {}).get(attribute))) - previous)
    return grants


def _document(value: object) -> Mapping | None:
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value if isinstance(value, Mapping) else None


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _grants(document: Mapping | None) -> set[tuple[str, str]]:
    """Every (action, where) an Allow statement grants: ``where`` names resource, principal and whether a
    condition narrows it."""
    if not document:
        return set()
    found = set()
    for statement in _as_list(document.get("Statement", [])):
        if not isinstance(statement, Mapping) or statement.get("Effect", "Allow") != "Allow":
            continue
        actions = [_text(a) for a in _as_list(statement.get("Action", []))]
        actions += [f"everything but {_text(a)}" for a in _as_list(statement.get("NotAction", [])) if a]
        resources = [_text(r) for r in _as_list(statement["Resource"])] if "Resource" in statement else [None]
        principal = statement.get("Principal")
        to = f" to {_text(principal)}" if principal is not None else ""
        condition = " (conditional)" if statement.get("Condition") else ""
        for resource in resources:
            where = (f" on {resource}" if resource else "") + to + condition
            found.update((action, where) for action in actions)
    return found


def _grouped(grants: set[tuple[str, str]]) -> list[str]:
    """``a, b on X to Y``: the actions granted on the same resource to the same principal, together."""
    by_where: dict[str, list[str]] = {}
    for action, where in sorted(grants):
        by_where.setdefault(where, []).append(action)
    return [f"{', '.join(actions)}{where}" for where, actions in sorted(by_where.items())]
