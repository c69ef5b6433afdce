"""Writing the curated zone (a key-based upsert of the partitions a run touches) and the quarantine zone.

The latest delivery of each key in a run replaces the curated row with that key wherever it is: the partitions
rewritten are those the run's rows fall in plus those holding an earlier version of one of its keys (a
correction may move a row to another partition, such as an order whose date changes month). Each is rewritten
with dynamic partition overwrite, holding the run's rows plus the rows already curated there whose key the run
does not carry; the others are not touched. So a correction lands however old its row is, re-running the same
window writes the same rows, and nothing curated earlier is lost. While writing, each latest row is counted as
inserted (a new key), updated (other values than the curated row) or unchanged, against the curated rows the
rewrite reads anyway, by the same join that merges them and while it is written (a first write counts every row
inserted without reading anything).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.utils import AnalysisException

from etl.contracts import DataContract
from etl.curate.columns import DIGEST, FAILURES, RAW_RECORD, ROWS, SOURCE_FILE
from etl.lake import LakeStore
from etl.quality.engine import row_digest

_CURATED_DIGEST = "_curated_digest"


class FirstWriteLayout(Enum):
    """How a first write brings each partition's rows into one task, as the run's summary allows.

    ``GATHER``: the rows all fall in one partition (or the dataset is unpartitioned): they are gathered into one
    task without a shuffle. ``AS_READ``: every partition's rows are already in one task of the batch, no
    two tasks sharing a partition: each task writes its own partitions, without a shuffle. ``SHUFFLE``: rows are
    repartitioned by the partition columns.
    """

    GATHER = "gather"
    AS_READ = "as_read"
    SHUFFLE = "shuffle"


@dataclass(frozen=True)
class UpsertCounts:
    """How the latest rows of a run changed the curated zone."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def curated_key(dataset: str) -> str:
    """Lake key prefix of a dataset's curated Parquet."""
    return f"curated/{dataset}"


def quarantine_key(dataset: str, run_date: date) -> str:
    """Lake key prefix of a run's quarantined rows."""
    return f"quarantine/{dataset}/run_date={run_date.isoformat()}"


def curated_schema(contract: DataContract) -> str:
    """The curated Parquet's schema as DDL, from the contract: reads given it skip Spark's footer-reading job."""
    return ", ".join(f"`{f.name}` {f.spark_type}" for f in contract.fields)


def read_curated_or_none(spark: SparkSession, store: LakeStore, contract: DataContract) -> DataFrame | None:
    """The curated Parquet of ``contract``'s dataset, read with the contract's schema, or None before it is first
    written."""
    try:
        return spark.read.schema(curated_schema(contract)).parquet(store.uri(curated_key(contract.dataset)))
    except AnalysisException:
        return None


def write_curated(
    spark: SparkSession,
    store: LakeStore,
    contract: DataContract,
    latest: DataFrame,
    latest_rows: int,
    *,
    layout: FirstWriteLayout = FirstWriteLayout.SHUFFLE,
) -> UpsertCounts:
    """Upsert ``latest`` (curated columns and ``_digest``, one row per key; ``latest_rows`` of them, as the run's
    summary counted) into the dataset and count how, while writing. ``layout``: how a first write brings each
    partition's rows together (the run's summary knows; an unpartitioned dataset's first write is gathered)."""
    columns = [f.name for f in contract.fields]
    key, partitions = list(contract.primary_key), list(contract.partition_by)
    existing = read_curated_or_none(spark, store, contract)
    observation = None
    if existing is None:
        merged = latest.select(*columns)
    else:
        if partitions:
            earlier = existing.select(*key, *partitions).join(latest.select(*key), key, "left_semi")
            touched = latest.select(*partitions).unionByName(earlier.select(*partitions)).distinct()
            existing = existing.join(touched, partitions, "left_semi")
        # Spark refuses to overwrite a path the plan reads: the rows kept are read once, before the rewrite.
        existing = existing.localCheckpoint(eager=True)
        merged, observation = _merge(contract, latest, existing)
    # One task per partition value: one file per partition, in key order. A first write is not shuffled when its
    # layout allows (``FirstWriteLayout``); rows out of the merge join are, since one task would do its work alone.
    if observation is None and (layout is FirstWriteLayout.GATHER or not partitions):
        merged = merged.coalesce(1)
    elif observation is not None or layout is FirstWriteLayout.SHUFFLE:
        merged = merged.repartition(*partitions) if partitions else merged.repartition(1)
    (
        merged.sortWithinPartitions(*partitions, *key)
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*partitions)
        .parquet(store.uri(curated_key(contract.dataset)))
    )
    if observation is None:
        return UpsertCounts(inserted=latest_rows)
    matched = observation.get
    unchanged, updated = int(matched["unchanged"]), int(matched["updated"])
    return UpsertCounts(inserted=latest_rows - unchanged - updated, updated=updated, unchanged=unchanged)


def _merge(contract: DataContract, latest: DataFrame, existing: DataFrame) -> tuple[DataFrame, Observation]:
    """The rows to write (each run row, and each curated row whose key the run does not carry) from one join, and
    the observation counting, as they are written, the run rows that update or leave unchanged a curated row."""
    key = list(contract.primary_key)
    others = [f.name for f in contract.fields if f.name not in key]
    run = latest.select(*key, *(F.col(name).alias(f"_run_{name}") for name in others), DIGEST)
    curated = existing.select(
        *key, *(F.col(name).alias(f"_curated_{name}") for name in others), row_digest(contract).alias(_CURATED_DIGEST)
    )
    in_run = F.col(DIGEST).isNotNull()
    matched = in_run & F.col(_CURATED_DIGEST).isNotNull()
    observation = Observation("upsert")
    joined = run.join(curated, key, "full").observe(
        observation,
        F.count(F.when(matched & (F.col(_CURATED_DIGEST) == F.col(DIGEST)), 1)).alias("unchanged"),
        F.count(F.when(matched & (F.col(_CURATED_DIGEST) != F.col(DIGEST)), 1)).alias("updated"),
    )
    values = {
        name: F.when(in_run, F.col(f"_run_{name}")).otherwise(F.col(f"_curated_{name}")).alias(name) for name in others
    }
    return joined.select(*(values.get(f.name, F.col(f.name)) for f in contract.fields)), observation


def write_quarantine(store: LakeStore, contract: DataContract, run_date: date, rejected: DataFrame) -> None:
    """Replace the run's quarantine with ``rejected``: source file, raw record, every failure of a row, and the
    landed rows the record stands for (``_rows``: 1, or a whole unreadable file's rows)."""
    (
        rejected.select(SOURCE_FILE, RAW_RECORD, FAILURES, ROWS)
        .write.mode("overwrite")
        .parquet(store.uri(quarantine_key(contract.dataset, run_date)))
    )
