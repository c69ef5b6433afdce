"""The per-row rules a contract implies, each as a Spark column expression (no Python on the hot path).

Rules on a field: ``required`` (value missing), ``type`` (present but does not convert to the field's type),
``range`` (outside minimum/maximum), ``enum`` (not an allowed value) and ``pattern`` (raw value does not match
the regular expression). Rules on a record: the read errors of the raw readers, ``duplicate_key`` (a primary
key seen before; one deterministic winner is kept) and ``unique`` (a unique non-key field seen before).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F

from etl.contracts import ContractField, DataContract, LogicalType
from etl.curate.columns import raw_column
from etl.curate.readers import READ_ERROR_RULES

REQUIRED = "required"
TYPE = "type"
RANGE = "range"
ENUM = "enum"
PATTERN = "pattern"
DUPLICATE_KEY = "duplicate_key"
UNIQUE = "unique"


@dataclass(frozen=True)
class Rule:
    """A rule and the field (or comma-joined key fields) it applies to; ``field`` is None for whole records."""

    rule: str
    field: str | None


@dataclass(frozen=True)
class RowCheck:
    """A rule with the condition under which a row fails it and the raw value to quarantine."""

    rule: Rule
    fails: Column
    raw_value: Column


@dataclass(frozen=True)
class UniqueConstraint:
    """Fields whose values must not repeat across rows, and the rule reported when they do."""

    rule: Rule
    fields: tuple[str, ...]


def row_checks(contract: DataContract) -> list[RowCheck]:
    """Every field-level check of ``contract``, in field order."""
    return [check for field in contract.fields for check in _field_checks(field)]


def unique_constraints(contract: DataContract) -> list[UniqueConstraint]:
    """The primary key, then each unique field that is not the whole primary key."""
    key = contract.primary_key
    constraints = [UniqueConstraint(Rule(DUPLICATE_KEY, ",".join(key)), key)]
    constraints += [
        UniqueConstraint(Rule(UNIQUE, f.name), (f.name,)) for f in contract.fields if f.unique and (f.name,) != key
    ]
    return constraints


def all_rules(contract: DataContract) -> list[Rule]:
    """Every rule a run of ``contract`` evaluates, for the report (rules that pass are listed too)."""
    return (
        [Rule(name, None) for name in READ_ERROR_RULES]
        + [check.rule for check in row_checks(contract)]
        + [constraint.rule for constraint in unique_constraints(contract)]
    )


def _field_checks(field: ContractField) -> Iterator[RowCheck]:
    if field.derived_from is not None:
        # A derived value is a function of a field that is checked already.
        return
    raw, typed = F.col(raw_column(field.name)), F.col(field.name)

    def check(rule: str, fails: Column) -> RowCheck:
        return RowCheck(Rule(rule, field.name), fails, raw)

    if field.required:
        yield check(REQUIRED, raw.isNull())
    if field.logical_type is not LogicalType.STRING:
        yield check(TYPE, raw.isNotNull() & typed.isNull())
    bounds = [
        typed < F.lit(str(field.minimum)).cast(field.spark_type) if field.minimum is not None else None,
        typed > F.lit(str(field.maximum)).cast(field.spark_type) if field.maximum is not None else None,
    ]
    out_of_range = [bound for bound in bounds if bound is not None]
    if out_of_range:
        yield check(RANGE, out_of_range[0] | out_of_range[-1])
    if field.allowed_values:
        yield check(ENUM, ~typed.cast("string").isin(*field.allowed_values))
    if field.pattern:
        yield check(PATTERN, ~raw.rlike(field.pattern))
