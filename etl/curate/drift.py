"""Schema drift: the columns a batch actually carries, compared with the contract.

Added columns are reported and ignored (non-breaking). A removed column is breaking when the contract requires
it; a retyped column (values present, none of which convert to the contract's type) is always breaking. A
column counts as removed only when no readable record of the batch carries it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from etl.contracts import DataContract


@dataclass(frozen=True)
class SchemaDrift:
    """Columns added, removed and retyped in the raw input, by their source names."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    retyped: tuple[str, ...] = ()
    breaking: bool = False


@dataclass(frozen=True)
class FieldConversion:
    """How a field's raw values converted in a batch."""

    converted: int
    failed: int


def detect_drift(
    contract: DataContract,
    present_mask: int,
    extra_columns: Iterable[str],
    conversions: Mapping[str, FieldConversion],
    readable_rows: int,
) -> SchemaDrift:
    """Drift of a batch whose readable records carry the fields in ``present_mask`` (bit per source field)."""
    if readable_rows == 0:
        return SchemaDrift(added=tuple(sorted(set(extra_columns))))
    sources = contract.source_fields
    removed = [f for i, f in enumerate(sources) if not present_mask & (1 << i)]
    retyped = [
        f for f in sources if f.name in conversions and conversions[f.name].failed and not conversions[f.name].converted
    ]
    return SchemaDrift(
        added=tuple(sorted(set(extra_columns))),
        removed=tuple(f.source_name for f in removed),
        retyped=tuple(f.source_name for f in retyped),
        breaking=bool(retyped) or any(f.required for f in removed),
    )


def drift_message(contract: DataContract, drift: SchemaDrift) -> str:
    """One paragraph naming the drifted columns and how to fix the drift."""
    if not (drift.added or drift.removed or drift.retyped):
        return ""
    by_source = {f.source_name: f for f in contract.source_fields}
    parts = []
    if drift.removed:
        parts.append(
            "removed "
            + ", ".join(f"{name} ({'required' if by_source[name].required else 'optional'})" for name in drift.removed)
        )
    if drift.retyped:
        parts.append(
            "retyped "
            + ", ".join(f"{name} (no value converts to {by_source[name].spark_type})" for name in drift.retyped)
        )
    if drift.added:
        parts.append("added " + ", ".join(drift.added) + " (ignored)")
    summary = f"{contract.dataset}: schema drift against contract v{contract.version}: " + "; ".join(parts) + "."
    if not drift.breaking:
        return summary
    return (
        f"{summary} Curation stopped and wrote nothing curated. Fix the source delivery, or publish a new "
        f"contract version in etl/contracts/{contract.dataset}.yaml that describes the new columns, then re-run."
    )
