"""Evaluate every contract rule per row, check references to parent datasets, then judge repeated keys.

A row's failures are collected in one array column, so a row failing several rules is one quarantined row
carrying all of them. Rows that pass are judged by key in landing order: the latest delivery of a key is the row
curated; an older delivery of it is ``redelivered`` (the same values) or ``superseded`` (other values, which the
latest delivery corrects); neither is a failure. Inside one delivery, a record followed by another of the same
key is quarantined, as ``duplicate_row`` when it repeats the delivery's last record of that key exactly and as
``duplicate_key`` when it conflicts with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from etl.contracts import DataContract
from etl.curate.columns import (
    DELIVERY,
    DIGEST,
    FAILURES,
    OUTCOME,
    POSITION,
    RAW_RECORD,
    READ_ERROR,
    ROW_FAILURES,
    raw_column,
)
from etl.curate.expressions import values_where
from etl.quality.rules import (
    DUPLICATE_KEY,
    DUPLICATE_ROW,
    FOREIGN_KEY,
    UniqueConstraint,
    key_rule_field,
    row_checks,
    unique_constraints,
)

FAILURE_TYPE = "struct<rule:string,field:string,raw_value:string>"
LATEST = "latest"
REDELIVERED = "redelivered"
SUPERSEDED = "superseded"
_REPEATED = "_repeated"
_KEY_HASH = "_key_hash"


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


def evaluate(frame: DataFrame, contract: DataContract, run_date: date | None = None) -> DataFrame:
    """``frame`` (raw and typed columns) with ``_row_failures``: empty when the record passes every rule on
    itself. A record the reader could not read fails only its read-error rule; its values are not meaningful."""
    checks = row_checks(contract, run_date)
    field_failures = values_where(
        [(c.fails, failure(c.rule.rule, c.rule.field, c.raw_value)) for c in checks], FAILURE_TYPE
    )
    read_failure = F.array(failure(F.col(READ_ERROR), None, F.col(RAW_RECORD)))
    failures = F.when(F.col(READ_ERROR).isNotNull(), read_failure).otherwise(field_failures)
    return frame.withColumn(ROW_FAILURES, failures.cast(f"array<{FAILURE_TYPE}>"))


def row_digest(contract: DataContract) -> Column:
    """A hash of a row's curated values: equal for the same row delivered again, different for a correction."""
    return F.xxhash64(*(F.col(f.name) for f in contract.fields))


def check_references(frame: DataFrame, contract: DataContract, parent_keys: Mapping[str, DataFrame]) -> DataFrame:
    """Add a ``foreign_key`` failure to every readable record whose reference is not a key of the parent's
    curated rows; ``parent_keys`` holds, per parent dataset, its keys (one column, as the contract names it; the
    parent's primary key, so each appears once)."""
    for reference in contract.foreign_keys:
        known, found = f"_{reference.parent}_{reference.parent_field}", f"_{reference.field}_known"
        keys = parent_keys[reference.parent].select(F.col(reference.parent_field).alias(known))
        joined = frame.join(
            F.broadcast(keys.withColumn(found, F.lit(True))), F.col(reference.field) == F.col(known), "left"
        )
        unknown = F.col(reference.field).isNotNull() & F.col(found).isNull() & F.col(READ_ERROR).isNull()
        reported = F.array(failure(FOREIGN_KEY, reference.field, F.col(raw_column(reference.field))))
        frame = joined.withColumn(
            ROW_FAILURES, F.when(unknown, F.concat(F.col(ROW_FAILURES), reported)).otherwise(F.col(ROW_FAILURES))
        ).drop(known, found)
    return frame


def repeated_keys(frame: DataFrame, contract: DataContract) -> DataFrame:
    """The keys more than one passing row of ``frame`` carries (key columns only): an aggregation over the key
    columns alone, so it moves keys, not rows."""
    key = list(contract.primary_key)
    passing = F.size(F.col(ROW_FAILURES)) == 0
    return frame.where(passing).groupBy(*key).count().where(F.col("count") > 1).select(*key)


def repeated_key_hashes(frame: DataFrame, contract: DataContract) -> DataFrame:
    """The hashes of keys more than one passing row of ``frame`` carries: a superset of ``repeated_keys`` (two
    keys may share a hash) from an aggregation over one long per row. None means no key repeats."""
    passing = F.size(F.col(ROW_FAILURES)) == 0
    hashed = frame.where(passing).select(F.xxhash64(*contract.primary_key).alias(_KEY_HASH))
    return hashed.groupBy(_KEY_HASH).count().where(F.col("count") > 1).select(_KEY_HASH)


def judge_duplicates(
    frame: DataFrame, contract: DataContract, repeated: DataFrame | None = None, *, none_repeated: bool = False
) -> DataFrame:
    """``_failures`` (the row's own failures, or a duplicate rule) and ``_outcome`` (latest, redelivered or
    superseded, for rows that pass) from ``_row_failures``, ``_delivery``, ``_position`` and ``_digest``.

    In two phases: a row whose key no other passing row carries is the latest of its key as it is; only the rows
    of ``repeated`` keys (default: ``repeated_keys(frame)``; pass them to compute them once for several plans) are
    ordered by key and landing order. With few repeated keys the batch is not shuffled, and when the caller
    knows there are none (``none_repeated``) nothing is joined either.
    """
    passing = F.size(F.col(ROW_FAILURES)) == 0
    judged_alone = [F.col(ROW_FAILURES).alias(FAILURES), F.when(passing, F.lit(LATEST)).alias(OUTCOME)]
    if none_repeated:
        judged = frame.select("*", *judged_alone)
    else:
        key = list(contract.primary_key)
        repeated = (repeated if repeated is not None else repeated_keys(frame, contract)).select(
            *key, F.lit(True).alias(_REPEATED)
        )
        flagged = frame.join(F.broadcast(repeated), key, "left")
        single = flagged.where(F.col(_REPEATED).isNull()).select(*frame.columns, *judged_alone)
        ordered = _judge_in_order(flagged.where(F.col(_REPEATED)).select(*frame.columns), contract)
        judged = single.unionByName(ordered)
    for constraint in unique_constraints(contract):
        judged = flag_repeats(judged, constraint)
    return judged


def _judge_in_order(frame: DataFrame, contract: DataContract) -> DataFrame:
    key = list(contract.primary_key)
    passing = F.size(F.col(ROW_FAILURES)) == 0
    # Key fields first: Spark sorts on a prefix of the first column. Both windows share one sort: oldest first.
    by_key = Window.partitionBy(*key, passing).orderBy(DELIVERY, POSITION)
    by_delivery = Window.partitionBy(*key, passing, DELIVERY).orderBy(POSITION)
    to_end = (Window.currentRow, Window.unboundedFollowing)
    next_delivery = F.lead(DELIVERY).over(by_key)
    key_latest = F.last(DIGEST).over(by_key.rowsBetween(*to_end))
    delivery_latest = F.last(DIGEST).over(by_delivery.rowsBetween(*to_end))
    duplicate = passing & F.coalesce(next_delivery == F.col(DELIVERY), F.lit(False))
    rule = F.when(F.col(DIGEST) == delivery_latest, F.lit(DUPLICATE_ROW)).otherwise(F.lit(DUPLICATE_KEY))
    raw_key = F.concat_ws(",", *(F.col(raw_column(name)) for name in key))
    outcome = (
        F.when(next_delivery.isNull(), F.lit(LATEST))
        .when(F.col(DIGEST) == key_latest, F.lit(REDELIVERED))
        .otherwise(F.lit(SUPERSEDED))
    )
    return frame.select(
        "*",
        F.when(duplicate, F.array(failure(rule, key_rule_field(contract), raw_key)))
        .otherwise(F.col(ROW_FAILURES))
        .alias(FAILURES),
        F.when(passing & ~duplicate, outcome).alias(OUTCOME),
    )


def flag_repeats(frame: DataFrame, constraint: UniqueConstraint) -> DataFrame:
    """Fail every latest row whose unique field repeats another latest row's, except the latest delivered."""
    latest = F.col(OUTCOME) == LATEST
    ranked = Window.partitionBy(*constraint.fields, latest).orderBy(F.col(DELIVERY).desc(), F.col(POSITION).desc())
    repeat = F.coalesce(latest, F.lit(False)) & (F.row_number().over(ranked) > 1)
    rule = constraint.rule
    raw = F.concat_ws(",", *(F.col(raw_column(name)) for name in constraint.fields))
    return frame.select(
        *(c for c in frame.columns if c not in (FAILURES, OUTCOME)),
        F.when(repeat, F.array(failure(rule.rule, rule.field, raw))).otherwise(F.col(FAILURES)).alias(FAILURES),
        F.when(repeat, F.lit(None)).otherwise(F.col(OUTCOME)).alias(OUTCOME),
    )
