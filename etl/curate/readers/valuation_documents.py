"""Vehicle valuation documents (one JSON file per API lookup), flattened by the valuation workstream's parser.

The documents are few (every lookup is a paid call), so they are read on the driver and the contract fields
are extracted with ``extract_valuation_fields``; values are kept as raw strings for conformance.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime

from pyspark.sql import DataFrame, SparkSession

from etl.contracts import DataContract
from etl.curate.readers.common import ENCODING, MALFORMED_JSON, full_mask, raw_schema
from etl.lake import LakeStore

Extractor = Callable[[dict], dict[str, object]]


def default_extractor() -> Extractor:
    """``etl.enrich.vehicle_valuation.parse.extract_valuation_fields``, imported only when valuations are read."""
    from etl.enrich.vehicle_valuation.parse import extract_valuation_fields

    return extract_valuation_fields


def read_valuation_documents(
    spark: SparkSession, contract: DataContract, store: LakeStore, keys: Iterable[str], extract: Extractor
) -> DataFrame:
    """One row per valuation document under ``keys``."""
    rows = [_row(contract, key, store.get_bytes(key), extract) for key in keys]
    return spark.createDataFrame(rows, raw_schema(contract))


def _row(contract: DataContract, key: str, data: bytes, extract: Extractor) -> tuple:
    width = len(contract.source_fields)
    try:
        text = data.decode(contract.source_encoding.value)
    except UnicodeDecodeError:
        # Decoded byte for byte so the quarantined document stays readable.
        return (key, data.decode("iso-8859-1"), ENCODING, *([None] * width), 0, [], [], 1)
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        return (key, text, MALFORMED_JSON, *([None] * width), 0, [], [], 1)
    fields = extract(document)
    values = [_raw_string(fields.get(f.source_name)) for f in contract.source_fields]
    extra = sorted(set(fields) - {f.source_name for f in contract.source_fields})
    return (key, text, None, *values, full_mask(contract), extra, [], 1)


def _raw_string(value: object) -> str | None:
    """The extractor's value as the raw string conformance expects (ISO-8601 for dates and times)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, bool | dict | list):
        return json.dumps(value)
    return str(value)
