"""Schema drift: the columns each file actually carries, compared with the contract.

Drift is judged per file, since a schema belongs to a delivery: a CSV file's header, the keys of a JSON file's
records. Added columns are reported and ignored (non-breaking). A removed column is breaking when the contract
requires it; a retyped column (values present in the file, none of which convert to the contract's type) is
always breaking. A file with breaking drift is quarantined whole (``schema_drift``) and the other files of the
run are curated.
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
    """How a field's raw values converted in a file."""

    converted: int
    failed: int


def detect_drift(
    contract: DataContract,
    present_mask: int | None,
    extra_columns: Iterable[str],
    conversions: Mapping[str, FieldConversion],
) -> SchemaDrift:
    """Drift of a file carrying the fields in ``present_mask`` (bit per source field; None when nothing in the
    file shows which fields it carries, as for a file without one readable record)."""
    added = tuple(sorted(set(extra_columns)))
    if present_mask is None:
        return SchemaDrift(added=added)
    sources = contract.source_fields
    removed = [f for i, f in enumerate(sources) if not present_mask & (1 << i)]
    retyped = [
        f for f in sources if f.name in conversions and conversions[f.name].failed and not conversions[f.name].converted
    ]
    return SchemaDrift(
        added=added,
        removed=tuple(f.source_name for f in removed),
        retyped=tuple(f.source_name for f in retyped),
        breaking=bool(retyped) or any(f.required for f in removed),
    )


def combined_drift(drifts: Iterable[SchemaDrift]) -> SchemaDrift:
    """The drift of a run: every column any file added, removed or retyped; breaking when any file's is."""
    drifts = list(drifts)
    return SchemaDrift(
        added=tuple(sorted({name for d in drifts for name in d.added})),
        removed=tuple(sorted({name for d in drifts for name in d.removed})),
        retyped=tuple(sorted({name for d in drifts for name in d.retyped})),
        breaking=any(d.breaking for d in drifts),
    )


def drift_message(contract: DataContract, drift: SchemaDrift, file: str | None = None) -> str:
    """One paragraph naming the drifted columns (of ``file`` when given) and how to fix the drift."""
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
    subject = f"{file}: " if file else f"{contract.dataset}: "
    summary = f"{subject}schema drift against contract {contract.dataset} v{contract.version}: " + "; ".join(parts)
    if not drift.breaking:
        return summary + "."
    return (
        f"{summary}. The file is quarantined whole (schema_drift) and the run fails. Fix the source delivery, or "
        f"publish a new contract version in etl/contracts/{contract.dataset}.yaml that describes the new columns, "
        "then re-run."
    )
