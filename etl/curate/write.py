"""Writing the curated zone (partitioned Parquet, merged with what is there) and the quarantine zone.

Curated data is written with dynamic partition overwrite: only the partitions the batch touches are
rewritten. Because a late record can touch an old partition, each touched partition is rewritten with the
batch's rows plus the rows already curated there whose key the batch does not carry, so nothing curated
earlier is lost and re-running the same batch writes the same rows.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.utils import AnalysisException

from etl.contracts import DataContract
from etl.curate.columns import FAILURES, RAW_RECORD, SOURCE_FILE
from etl.lake import LakeStore


def curated_key(dataset: str) -> str:
    """Lake key prefix of a dataset's curated Parquet."""
    return f"curated/{dataset}"


def quarantine_key(dataset: str, run_date: date) -> str:
    """Lake key prefix of a run's quarantined rows."""
    return f"quarantine/{dataset}/run_date={run_date.isoformat()}"


def write_curated(spark: SparkSession, store: LakeStore, contract: DataContract, batch: DataFrame) -> None:
    """Merge ``batch`` (curated columns only) into the dataset's touched partitions."""
    path = store.uri(curated_key(contract.dataset))
    merged = batch.unionByName(_kept_rows(spark, path, contract, batch))
    partitions = list(contract.partition_by)
    # One task per partition value (or one for an unpartitioned dataset): one file per partition, in key order.
    merged = merged.repartition(*partitions) if partitions else merged.repartition(1)
    (
        merged.sortWithinPartitions(*partitions, *contract.primary_key)
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*partitions)
        .parquet(path)
    )


def _kept_rows(spark: SparkSession, path: str, contract: DataContract, batch: DataFrame) -> DataFrame:
    """Rows already curated in the partitions ``batch`` touches, whose key ``batch`` does not replace."""
    try:
        existing = spark.read.parquet(path)
    except AnalysisException:
        return batch.limit(0)
    existing = existing.select(*batch.columns)
    if contract.partition_by:
        touched = batch.select(*contract.partition_by).distinct()
        existing = existing.join(touched, list(contract.partition_by), "left_semi")
    kept = existing.join(batch.select(*contract.primary_key), list(contract.primary_key), "left_anti")
    if contract.partition_by:
        return kept
    # An unpartitioned dataset is overwritten whole, and Spark refuses to overwrite a path it reads from:
    # the kept rows are materialized first.
    return kept.localCheckpoint(eager=True)


def write_quarantine(store: LakeStore, contract: DataContract, run_date: date, rejected: DataFrame) -> None:
    """Replace the run's quarantine with ``rejected``: source file, raw record and every failure of a row."""
    (
        rejected.select(SOURCE_FILE, RAW_RECORD, FAILURES)
        .write.mode("overwrite")
        .parquet(store.uri(quarantine_key(contract.dataset, run_date)))
    )
