"""``docs/data-contracts.md``, rendered from the contracts so the documentation never restates them by hand."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from etl.contracts.model import ContractField, DataContract

DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "data-contracts.md"
_HEADER = (
    "# Data contracts\n\n"
    "Generated from `etl/contracts/*.yaml` (Open Data Contract Standard v3) by "
    "`etl.contracts.render_markdown()`; do not edit by hand. Regenerate with "
    "`python -m etl.contracts`.\n\n"
    "Every rule below is checked per row during curation; a failing row goes to the quarantine zone with "
    "the rule, the field and its raw value. Fields marked PII are pseudonymized (keyed HMAC-SHA256) in the "
    "curated zone. Timestamps without a zone are read as UTC.\n"
)


def render_markdown(contracts: Iterable[DataContract] | None = None) -> str:
    """Markdown describing ``contracts`` (default: every contract in ``etl/contracts``)."""
    if contracts is None:
        from etl.contracts import all_contracts

        contracts = all_contracts().values()
    return _HEADER + "".join(_section(contract) for contract in contracts)


def write_markdown(path: Path = DOCS_PATH) -> Path:
    """Write the rendered contracts documentation to ``path`` (default ``docs/data-contracts.md``)."""
    path.write_text(render_markdown(), encoding="utf-8")
    return path


def _section(contract: DataContract) -> str:
    lines = [
        f"\n## {contract.dataset} (v{contract.version})\n",
        f"{contract.description}\n",
        f"- Owner: {contract.owner}",
        f"- Classification: {contract.classification.value}",
        f"- Raw format: {contract.raw_format.value}, encoding {contract.source_encoding.value} (a file in another "
        "encoding is quarantined whole)",
        f"- Delivery: {contract.delivery_schedule}; freshness SLA {contract.freshness_sla_hours:g} hours",
        f"- Primary key: {', '.join(contract.primary_key)}",
        f"- Curated partitions: {', '.join(contract.partition_by) or 'none'}",
    ]
    if contract.retention:
        kept = contract.retention
        lines.append(
            f"- Retention: raw {kept.raw_days} days, curated {kept.curated_days} days, "
            f"quarantine {kept.quarantine_days} days (an environment may shorten them)"
        )
    if contract.unquoted_delimiter_field:
        lines.append(
            f"- Unquoted commas in the source are rejoined into {contract.unquoted_delimiter_field}, only where "
            "every surplus piece begins with a space; any other surplus field is a column_count failure"
        )
    for key in contract.foreign_keys:
        lines.append(
            f"- Foreign key: {key.field} → {key.parent}.{key.parent_field} (unknown references are quarantined as "
            "foreign_key)"
        )
    lines += [
        "",
        "| Field | Source | Type | Required | Classification | PII | Rules | Description |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [_row(item) for item in contract.fields]
    return "\n".join(lines) + "\n"


def _row(item: ContractField) -> str:
    source = f"derived ({item.derivation.value}) from {item.derived_from}" if item.derived_from else item.source_name
    cells = [
        item.name,
        source,
        item.spark_type,
        "yes" if item.required else "no",
        item.classification.value,
        "yes" if item.is_pii else "no",
        _rules(item),
        item.description,
    ]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _rules(item: ContractField) -> str:
    rules = []
    if item.primary_key:
        rules.append("primary key")
    elif item.unique:
        rules.append("unique")
    if item.minimum is not None:
        rules.append(f">= {item.minimum}")
    if item.maximum is not None:
        rules.append(f"<= {item.maximum}")
    if item.not_after_run_date:
        rules.append("not after the run date")
    if item.requires_zone:
        rules.append("with a time zone")
    if item.allowed_values:
        rules.append("one of " + ", ".join(item.allowed_values))
    if item.pattern:
        rules.append(f"matches `{item.pattern}`")
    if item.raw_format:
        rules.append(f"format `{item.raw_format}`")
    return "; ".join(rules)
