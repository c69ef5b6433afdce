"""Readers per raw format: every landed record becomes one row of raw strings with its source file kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from etl.contracts import DataContract, RawFormat
from etl.curate.columns import DELIVERY, POSITION, SOURCE_FILE
from etl.curate.deliveries import DeliveredFile
from etl.curate.readers.common import READ_ERROR_RULES, UNREADABLE_FILE, raw_schema, unreadable_files
from etl.curate.readers.csv_lines import read_csv
from etl.curate.readers.json_lines import read_json_lines
from etl.curate.readers.json_pages import read_json_pages
from etl.curate.readers.valuation_documents import Extractor, default_extractor, read_valuation_documents
from etl.lake import LakeStore

__all__ = ["READ_ERROR_RULES", "UNREADABLE_FILE", "Extractor", "read_raw"]


def read_raw(
    spark: SparkSession,
    store: LakeStore,
    contract: DataContract,
    files: Sequence[DeliveredFile],
    unreadable: Mapping[str, str],
    extract: Extractor | None = None,
) -> DataFrame:
    """Rows of the raw ``files`` in the contract's raw format, plus one row per unreadable file, each with its
    file's landing order (``_delivery``) and its place in the file (``_position``).

    ``unreadable`` maps lake keys known to be unreadable to the reason; they are not read.
    """
    readable = [delivered for delivered in files if delivered.key not in unreadable]
    frames = []
    if readable:
        frame = _read_format(spark, store, contract, readable, extract)
        if frame is not None:
            frames.append(frame)
    if unreadable:
        frames.append(unreadable_files(spark, contract, unreadable, {f.key: f.rows for f in files}))
    if not frames:
        return spark.createDataFrame([], raw_schema(contract)).select(
            "*", F.lit(0).alias(DELIVERY), F.lit(0).cast("long").alias(POSITION)
        )
    # Each raw file is read whole by one task, in order, so the id increases with the place in the file.
    records = reduce(DataFrame.unionByName, frames).withColumn(POSITION, F.monotonically_increasing_id())
    # A hash join, not a map literal: a map is searched key by key, per record.
    sequences = spark.createDataFrame([(f.key, f.sequence) for f in files], f"{SOURCE_FILE} string, {DELIVERY} int")
    return records.join(F.broadcast(sequences), SOURCE_FILE, "left")


def _read_format(
    spark: SparkSession,
    store: LakeStore,
    contract: DataContract,
    files: Sequence[DeliveredFile],
    extract: Extractor | None,
) -> DataFrame | None:
    uris = {delivered.key: store.uri(delivered.key) for delivered in files}
    by_key = {delivered.key: delivered for delivered in files}
    if contract.raw_format is RawFormat.CSV:
        return read_csv(spark, contract, files, uris)
    if contract.raw_format is RawFormat.JSON_LINES_GZIP:
        return read_json_lines(spark, contract, by_key, list(uris.values()))
    if contract.raw_format is RawFormat.JSON_PAGES:
        return read_json_pages(spark, contract, by_key, list(uris.values()))
    return read_valuation_documents(spark, contract, store, list(uris), extract or default_extractor())
