"""Gzip JSON-lines files read as raw text: each non-blank line is parsed into a map of raw strings.

Spark's JSON parser keeps a number, boolean or nested value's JSON text when asked for a string, so every
value reaches conformance in its delivered form. A field the contract types as a string but that arrives as a
JSON object or array is listed in ``_type_mismatch`` (a ``type`` failure), since its text alone would pass as a
string. A line that is not a JSON object is quarantined as ``malformed_json``. A file landing found not to be
in the contract's declared encoding is quarantined whole as ``encoding``, its lines decoded as ISO-8859-1 so
they stay readable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.contracts import DataContract, LogicalType
from etl.curate.columns import SOURCE_FILE
from etl.curate.deliveries import DeliveredFile
from etl.curate.expressions import values_where
from etl.curate.readers.common import (
    ENCODING,
    MALFORMED_JSON,
    field_bit,
    source_file,
    standard_columns,
    whole_file_problem,
)

RAW_OBJECT = T.MapType(T.StringType(), T.StringType())


def read_json_lines(
    spark: SparkSession, contract: DataContract, files: Mapping[str, DeliveredFile], paths: Sequence[str]
) -> DataFrame:
    """One row per non-blank line of the (gzip) JSON-lines files at ``paths``."""
    lines = (
        spark.read.text(list(paths))
        .where(F.trim(F.col("value")) != "")
        .select(source_file(contract.dataset).alias(SOURCE_FILE), F.col("value"))
    )
    misencoded = whole_file_problem(files, ENCODING)
    lines = lines.select(
        SOURCE_FILE,
        F.when(misencoded, F.decode(F.col("value").cast("binary"), "ISO-8859-1"))
        .otherwise(F.col("value"))
        .alias("value"),
        F.from_json("value", RAW_OBJECT).alias("object"),
        misencoded.alias("misencoded"),
    )
    read_error = F.when(F.col("misencoded"), F.lit(ENCODING)).when(F.col("object").isNull(), F.lit(MALFORMED_JSON))
    return lines.select(
        object_columns(contract, F.col("object"), F.col("value"), read_error, source=F.col(SOURCE_FILE))
    )


def _wrong_json_type(record: Column, raw_line: Column, name: str) -> Column:
    """True when a string field's value is a JSON object or array (its map text starts with a bracket and the
    line does not carry the field as a quoted string)."""
    value = record[name]
    bracketed = value.startswith("{") | value.startswith("[")
    return F.coalesce(bracketed & ~raw_line.rlike(rf'"{re.escape(name)}"\s*:\s*"'), F.lit(False))


def object_columns(
    contract: DataContract,
    record: Column,
    raw_record: Column,
    read_error: Column,
    *,
    source: Column | None = None,
    rows: Column | None = None,
) -> list[Column]:
    """Standard reader columns of a JSON object held as a map of raw strings (``raw_record`` is its JSON text)."""
    known = [f.source_name for f in contract.source_fields]
    present = [
        F.when(F.coalesce(F.map_contains_key(record, name), F.lit(False)), F.lit(field_bit(i))).otherwise(0)
        for i, name in enumerate(known)
    ]
    strings = [f for f in contract.source_fields if f.logical_type is LogicalType.STRING]
    mismatched = values_where(
        [(_wrong_json_type(record, raw_record, f.source_name), F.lit(f.name)) for f in strings], "string"
    )
    return standard_columns(
        contract,
        source=source if source is not None else source_file(contract.dataset),
        raw_record=raw_record,
        read_error=read_error,
        values={f.name: record[f.source_name] for f in contract.source_fields},
        present_mask=sum(present[1:], present[0]),
        extra_columns=F.coalesce(
            F.array_except(F.map_keys(record), F.array(*(F.lit(name) for name in known))),
            F.array().cast("array<string>"),
        ),
        type_mismatch=mismatched if strings else None,
        rows=rows,
    )
