"""The per-row rules a contract implies, each as a Spark column expression (no Python on the hot path).

Rules on a field: ``required`` (value missing), ``type`` (present but does not convert to the field's type, or
delivered as another JSON type), ``range`` (outside minimum/maximum, or after the run's date where the contract
says so), ``enum`` (not an allowed value), ``pattern`` (raw value does not match the regular expression) and
``foreign_key`` (a reference to no curated row of the parent dataset). Rules on a record: the read errors of the
raw readers, ``schema_drift`` (its whole file breaks the contract's schema), ``duplicate_row`` (an exact repeat
of a later record of the same delivery), ``duplicate_key`` (the same key as a later record of the same delivery,
with other values) and ``unique`` (a unique non-key field seen before).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F

from etl.contracts import ContractField, DataContract, LogicalType
from etl.curate.columns import TYPE_MISMATCH, raw_column
from etl.curate.readers import READ_ERROR_RULES

REQUIRED = "required"
TYPE = "type"
RANGE = "range"
ENUM = "enum"
PATTERN = "pattern"
DUPLICATE_KEY = "duplicate_key"
DUPLICATE_ROW = "duplicate_row"
UNIQUE = "unique"
FOREIGN_KEY = "foreign_key"
SCHEMA_DRIFT = "schema_drift"


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


def row_checks(contract: DataContract, run_date: date | None = None) -> list[RowCheck]:
    """Every field-level check of ``contract``, in field order; bounds relative to the run use ``run_date``
    (without one, as when only listing the rules, they are not applied)."""
    return [check for field in contract.fields for check in _field_checks(field, run_date)]


def key_rule_field(contract: DataContract) -> str:
    """The primary key's fields, comma-joined, as reported for the duplicate rules."""
    return ",".join(contract.primary_key)


def unique_constraints(contract: DataContract) -> list[UniqueConstraint]:
    """Each unique field that is not the whole primary key (the key itself is judged by delivery order)."""
    key = contract.primary_key
    return [UniqueConstraint(Rule(UNIQUE, f.name), (f.name,)) for f in contract.fields if f.unique and (f.name,) != key]


def all_rules(contract: DataContract) -> list[Rule]:
    """Every rule a run of ``contract`` evaluates, for the report (rules that pass are listed too)."""
    key = key_rule_field(contract)
    return (
        [Rule(name, None) for name in (*READ_ERROR_RULES, SCHEMA_DRIFT)]
        + [check.rule for check in row_checks(contract)]
        + [Rule(FOREIGN_KEY, reference.field) for reference in contract.foreign_keys]
        + [Rule(DUPLICATE_ROW, key), Rule(DUPLICATE_KEY, key)]
        + [constraint.rule for constraint in unique_constraints(contract)]
    )


def _field_checks(field: ContractField, run_date: date | None) -> Iterator[RowCheck]:
    if field.derived_from is not None:
        # A derived value is a function of a field that is checked already.
        return
    raw, typed = F.col(raw_column(field.name)), F.col(field.name)

    def check(rule: str, fails: Column) -> RowCheck:
        return RowCheck(Rule(rule, field.name), fails, raw)

    if field.required:
        yield check(REQUIRED, raw.isNull())
    if field.logical_type is LogicalType.STRING:
        yield check(TYPE, F.array_contains(F.col(TYPE_MISMATCH), field.name))
    else:
        yield check(TYPE, raw.isNotNull() & typed.isNull())
    bounds = [
        typed < F.lit(str(field.minimum)).cast(field.spark_type) if field.minimum is not None else None,
        typed > F.lit(str(field.maximum)).cast(field.spark_type) if field.maximum is not None else None,
        # The UTC date of the value, since the session runs in UTC: a date in the future is out of range.
        F.to_date(typed) > F.lit(run_date.isoformat()).cast("date") if field.not_after_run_date and run_date else None,
    ]
    if field.minimum is not None or field.maximum is not None or field.not_after_run_date:
        yield check(RANGE, reduce(operator.or_, [bound for bound in bounds if bound is not None], F.lit(False)))
    if field.allowed_values:
        yield check(ENUM, ~typed.cast("string").isin(*field.allowed_values))
    if field.pattern:
        yield check(PATTERN, ~raw.rlike(field.pattern))
