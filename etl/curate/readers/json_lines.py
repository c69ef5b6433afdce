"""Gzip JSON-lines files read as raw text: each non-blank line is parsed into a struct of the contract's fields,
every one as a string, and its top-level keys are listed (a second scan that builds no values).

Spark's JSON parser keeps a number, boolean or nested value's JSON text when asked for a string, so every
value reaches conformance in its delivered form. The key list is what schema drift is judged from (a key the
contract does not know, a contract field whose key is missing, which a null value cannot tell apart from an
explicit ``null``); a record carrying exactly the contract's keys in the contract's order, as the tracker writes
them, is recognized by one comparison, and only other records are searched key by key.

A field the contract types as a string but that arrives as a JSON object or array is listed in ``_type_mismatch`` (a
``type`` failure), since its text alone would pass as a string. A line that is not a JSON object is quarantined as
``malformed_json``. A file landing found not to be in the contract's declared encoding is quarantined whole as
``encoding``, its lines decoded as ISO-8859-1 so they stay readable.
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
from etl.curate.readers.common import (
    ENCODING,
    MALFORMED_JSON,
    field_bit,
    full_mask,
    source_file,
    standard_columns,
    whole_file_problem,
)

RAW_OBJECT = T.MapType(T.StringType(), T.StringType())
# Landing counts a line as a record when it holds anything but spaces (and line ends, which Spark splits on).
NON_BLANK = "[^ ]"


def record_schema(contract: DataContract) -> T.StructType:
    """Every contract source field as a string, by its source name: values keep their delivered JSON text."""
    return T.StructType([T.StructField(f.source_name, T.StringType()) for f in contract.source_fields])


def read_json_lines(
    spark: SparkSession, contract: DataContract, files: Mapping[str, DeliveredFile], paths: Sequence[str]
) -> DataFrame:
    """One row per non-blank line of the (gzip) JSON-lines files at ``paths``."""
    lines = (
        spark.read.text(list(paths))
        .where(F.col("value").rlike(NON_BLANK))
        .select(source_file(contract.dataset).alias(SOURCE_FILE), F.col("value"))
    )
    misencoded = whole_file_problem(files, ENCODING)
    lines = lines.select(
        SOURCE_FILE,
        F.when(misencoded, F.decode(F.col("value").cast("binary"), "ISO-8859-1"))
        .otherwise(F.col("value"))
        .alias("value"),
        misencoded.alias("misencoded"),
    )
    # Both parsed once per line, as columns of their own: used as expressions, each field's use would be
    # rewritten by Spark's optimizer into a parse of its own (a struct pruned to that field).
    lines = lines.select(
        "*",
        F.from_json("value", record_schema(contract)).alias("record"),
        # Null exactly when the line is not one JSON object (invalid JSON, an array, a scalar).
        F.json_object_keys("value").alias("keys"),
    )
    keys, record = F.col("keys"), F.col("record")
    values = {f.name: record[f.source_name] for f in contract.source_fields}
    read_error = F.when(F.col("misencoded"), F.lit(ENCODING)).when(keys.isNull(), F.lit(MALFORMED_JSON))
    return lines.select(object_columns(contract, values, keys, F.col("value"), read_error, source=F.col(SOURCE_FILE)))


def _wrong_json_type(value: Column, raw_line: Column, name: str) -> Column:
    """True when a string field's value is a JSON object or array (its text starts with a bracket and the line
    does not carry the field as a quoted string)."""
    bracketed = value.startswith("{") | value.startswith("[")
    return F.coalesce(bracketed & ~raw_line.rlike(rf'"{re.escape(name)}"\s*:\s*"'), F.lit(False))


def object_columns(
    contract: DataContract,
    values: Mapping[str, Column],
    keys: Column,
    raw_record: Column,
    read_error: Column,
    *,
    source: Column | None = None,
    rows: Column | None = None,
) -> list[Column]:
    """Standard reader columns of a JSON object: ``values`` maps field names to the raw strings, ``keys`` is the
    object's key list (null when it is no object), ``raw_record`` its JSON text."""
    known = [f.source_name for f in contract.source_fields]
    contract_keys = F.array(*(F.lit(name) for name in known))
    # The common case in one comparison; the case expressions evaluate their other branch only for other records.
    exact = F.coalesce(keys == contract_keys, F.lit(False))
    present = [
        F.when(F.coalesce(F.array_contains(keys, name), F.lit(False)), F.lit(field_bit(i))).otherwise(0)
        for i, name in enumerate(known)
    ]
    none = F.array().cast("array<string>")
    strings = [f for f in contract.source_fields if f.logical_type is LogicalType.STRING]
    mismatched = F.filter(
        F.array(*(F.when(_wrong_json_type(values[f.name], raw_record, f.source_name), F.lit(f.name)) for f in strings)),
        lambda name: name.isNotNull(),
    )
    return standard_columns(
        contract,
        source=source if source is not None else source_file(contract.dataset),
        raw_record=raw_record,
        read_error=read_error,
        values=values,
        present_mask=F.when(exact, F.lit(full_mask(contract))).otherwise(sum(present[1:], present[0])),
        extra_columns=F.when(exact, none).otherwise(F.coalesce(F.array_except(keys, contract_keys), none)),
        type_mismatch=mismatched if strings else None,
        rows=rows,
    )
