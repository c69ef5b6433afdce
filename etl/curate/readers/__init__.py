"""Readers per raw format: every landed record becomes one row of raw strings with its source file kept."""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce

from pyspark.sql import DataFrame, SparkSession

from etl.contracts import DataContract, RawFormat
from etl.curate.readers.common import READ_ERROR_RULES, UNREADABLE_FILE, raw_schema, unreadable_files
from etl.curate.readers.csv_lines import read_csv, read_header
from etl.curate.readers.json_lines import read_json_lines
from etl.curate.readers.json_pages import read_json_pages
from etl.curate.readers.valuation_documents import Extractor, default_extractor, read_valuation_documents
from etl.lake import LakeStore

__all__ = ["READ_ERROR_RULES", "UNREADABLE_FILE", "Extractor", "read_raw"]


def read_raw(
    spark: SparkSession,
    store: LakeStore,
    contract: DataContract,
    keys: list[str],
    unreadable: Mapping[str, str],
    extract: Extractor | None = None,
) -> DataFrame:
    """Rows of the raw files ``keys`` in the contract's raw format, plus one row per unreadable file.

    ``unreadable`` maps lake keys already known to be unreadable to the reason; they are not read again.
    CSV files without a readable header join them.
    """
    unreadable = dict(unreadable)
    readable = [key for key in keys if key not in unreadable]
    frames = []
    if readable and contract.raw_format is RawFormat.CSV:
        headers, bad_headers = csv_headers(store, readable)
        unreadable.update(bad_headers)
        if headers:
            uris = {key: store.uri(key) for key in headers}
            frames.append(read_csv(spark, contract, headers, uris))
    elif readable:
        frames.append(_read_documents(spark, store, contract, readable, extract))
    if unreadable:
        frames.append(unreadable_files(spark, contract, unreadable))
    if not frames:
        return spark.createDataFrame([], raw_schema(contract))
    return reduce(DataFrame.unionByName, frames)


def csv_headers(store: LakeStore, keys: list[str]) -> tuple[dict[str, tuple[str, list[str]]], dict[str, str]]:
    """Each CSV file's header, and the reason for each file whose header cannot be read."""
    headers, unreadable = {}, {}
    for key in keys:
        try:
            headers[key] = read_header(store.get_bytes(key))
        except (UnicodeDecodeError, ValueError) as error:
            unreadable[key] = f"no readable CSV header: {error}"
    return headers, unreadable


def _read_documents(
    spark: SparkSession, store: LakeStore, contract: DataContract, keys: list[str], extract: Extractor | None
) -> DataFrame:
    uris = [store.uri(key) for key in keys]
    if contract.raw_format is RawFormat.JSON_LINES_GZIP:
        return read_json_lines(spark, contract, uris)
    if contract.raw_format is RawFormat.JSON_PAGES:
        return read_json_pages(spark, contract, uris)
    return read_valuation_documents(spark, contract, store, keys, extract or default_extractor())
