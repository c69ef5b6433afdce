"""Evaluate every contract rule per row in one projection, then flag duplicate keys with one window each.

A row's failures are collected in one array column, so a row failing several rules is one quarantined row
carrying all of them: rows landed = rows curated + rows quarantined holds by construction.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from etl.contracts import DataContract
from etl.curate.columns import FAILURES, RAW_RECORD, READ_ERROR, SOURCE_FILE, raw_column
from etl.quality.rules import Rule, UniqueConstraint, row_checks, unique_constraints

FAILURE_TYPE = "struct<rule:string,field:string,raw_value:string>"


def failure(rule: Column | str, field: Column | str | None, raw_value: Column) -> Column:
    """One failure record: which rule, on which field, with the raw value that failed it."""
    return F.struct(
        (rule if isinstance(rule, Column) else F.lit(rule)).alias("rule"),
        (field if isinstance(field, Column) else F.lit(field)).cast("string").alias("field"),
        raw_value.cast("string").alias("raw_value"),
    )


def passes() -> Column:
    """True for a row with no failures."""
    return F.size(F.col(FAILURES)) == 0


def evaluate(frame: DataFrame, contract: DataContract) -> DataFrame:
    """``frame`` (raw and typed columns) with a ``_failures`` array: empty when the row passes every rule.

    A record the reader could not read fails only its read-error rule; its field values are not meaningful.
    """
    checks = row_checks(contract)
    field_failures = F.filter(
        F.array(*(F.when(c.fails, failure(c.rule.rule, c.rule.field, c.raw_value)) for c in checks)),
        lambda item: item.isNotNull(),
    )
    read_failure = F.array(failure(F.col(READ_ERROR), None, F.col(RAW_RECORD)))
    failures = F.when(F.col(READ_ERROR).isNotNull(), read_failure).otherwise(field_failures)
    result = frame.withColumn(FAILURES, failures.cast(f"array<{FAILURE_TYPE}>"))
    for constraint in unique_constraints(contract):
        result = flag_duplicates(result, constraint)
    return result


def flag_duplicates(frame: DataFrame, constraint: UniqueConstraint) -> DataFrame:
    """Fail every passing row whose key repeats, except one winner: the record from the latest source file
    (raw keys sort by landing date), ties broken by the raw record, so the choice is deterministic."""
    passing = passes()
    # Key fields first: Spark sorts on a prefix of the first column, and a flag shared by nearly every row
    # would leave the whole sort to full row comparisons.
    ranked = Window.partitionBy(*constraint.fields, passing).orderBy(
        F.col(SOURCE_FILE).desc(), F.col(RAW_RECORD).desc()
    )
    duplicate = passing & (F.row_number().over(ranked) > 1)
    raw_key = F.concat_ws(",", *(F.col(raw_column(name)) for name in constraint.fields))
    rule: Rule = constraint.rule
    return frame.withColumn(
        FAILURES, F.when(duplicate, F.array(failure(rule.rule, rule.field, raw_key))).otherwise(F.col(FAILURES))
    )
