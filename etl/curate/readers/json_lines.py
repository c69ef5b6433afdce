"""Gzip JSON-lines files read as raw text: each line is parsed into a map of raw strings.

Spark's JSON parser keeps a number, boolean or nested value's JSON text when asked for a string, so every
value reaches conformance in its delivered form. A line that is not a JSON object is quarantined as
``malformed_json``; a line that is not valid UTF-8 as ``encoding``.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.contracts import DataContract
from etl.curate.readers.common import (
    ENCODING,
    MALFORMED_JSON,
    field_bit,
    invalid_utf8,
    source_file,
    standard_columns,
)

RAW_OBJECT = T.MapType(T.StringType(), T.StringType())


def read_json_lines(spark: SparkSession, contract: DataContract, paths: Sequence[str]) -> DataFrame:
    """One row per line of the (gzip) JSON-lines files at ``paths``."""
    lines = spark.read.text(list(paths)).select(F.col("value"), F.from_json("value", RAW_OBJECT).alias("object"))
    read_error = F.when(invalid_utf8(F.col("value")), F.lit(ENCODING)).when(
        F.col("object").isNull(), F.lit(MALFORMED_JSON)
    )
    return lines.select(object_columns(contract, F.col("object"), F.col("value"), read_error))


def object_columns(contract: DataContract, record: Column, raw_record: Column, read_error: Column) -> list[Column]:
    """Standard reader columns of a JSON object held as a map of raw strings."""
    known = [f.source_name for f in contract.source_fields]
    present = [
        F.when(F.coalesce(F.map_contains_key(record, name), F.lit(False)), F.lit(field_bit(i))).otherwise(0)
        for i, name in enumerate(known)
    ]
    return standard_columns(
        contract,
        source=source_file(contract.dataset),
        raw_record=raw_record,
        read_error=read_error,
        values={f.name: record[f.source_name] for f in contract.source_fields},
        present_mask=sum(present[1:], present[0]),
        extra_columns=F.coalesce(
            F.array_except(F.map_keys(record), F.array(*(F.lit(name) for name in known))),
            F.array().cast("array<string>"),
        ),
    )
