"""What every raw reader shares: the standard output columns and how they are built.

A reader returns one row per landed record with the record as delivered (``_raw_record``), the lake key of
its file, a read-error rule when the record could not be read, and one raw string column per contract field.
Nothing is typed here, so a bad value can still be quarantined with its raw form.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.contracts import DataContract
from etl.curate.columns import EXTRA_COLUMNS, PRESENT_MASK, RAW_RECORD, READ_ERROR, SOURCE_FILE, raw_column

# Rules a reader assigns to records it cannot read.
MALFORMED_JSON = "malformed_json"
COLUMN_COUNT = "column_count"
ENCODING = "encoding"
UNREADABLE_FILE = "unreadable_file"
READ_ERROR_RULES = (MALFORMED_JSON, COLUMN_COUNT, ENCODING, UNREADABLE_FILE)


def raw_schema(contract: DataContract) -> T.StructType:
    """The schema every reader returns for ``contract``."""
    return T.StructType(
        [
            T.StructField(SOURCE_FILE, T.StringType()),
            T.StructField(RAW_RECORD, T.StringType()),
            T.StructField(READ_ERROR, T.StringType()),
            *(T.StructField(raw_column(f.name), T.StringType()) for f in contract.source_fields),
            T.StructField(PRESENT_MASK, T.LongType()),
            T.StructField(EXTRA_COLUMNS, T.ArrayType(T.StringType())),
        ]
    )


def source_file(dataset: str) -> Column:
    """The lake key (``raw/<dataset>/date=.../<file>``) of the file a row was read from."""
    return F.regexp_extract(F.input_file_name(), rf"(raw/{dataset}/date=[^/]+/[^/]+)$", 1)


def invalid_utf8(text: Column) -> Column:
    """True when the bytes behind ``text`` are not valid UTF-8 (decoding them would replace characters)."""
    return F.decode(text.cast("binary"), "UTF-8") != text


def field_bit(index: int) -> int:
    """The bit of contract source field ``index`` in the present mask."""
    return 1 << index


def full_mask(contract: DataContract) -> int:
    """The present mask of a record that carries every contract source field."""
    return sum(field_bit(i) for i in range(len(contract.source_fields)))


def standard_columns(
    contract: DataContract,
    *,
    source: Column,
    raw_record: Column,
    read_error: Column,
    values: Mapping[str, Column],
    present_mask: Column,
    extra_columns: Column,
) -> list[Column]:
    """The reader output columns, in ``raw_schema`` order; ``values`` maps field names to raw strings."""
    return [
        source.alias(SOURCE_FILE),
        raw_record.alias(RAW_RECORD),
        read_error.alias(READ_ERROR),
        *(values.get(f.name, F.lit(None)).cast("string").alias(raw_column(f.name)) for f in contract.source_fields),
        present_mask.cast("long").alias(PRESENT_MASK),
        extra_columns.cast("array<string>").alias(EXTRA_COLUMNS),
    ]


def unreadable_files(spark: SparkSession, contract: DataContract, reasons: Mapping[str, str]) -> DataFrame:
    """One quarantine-bound record per file that cannot be read at all, carrying the reason as raw value."""
    width = len(contract.source_fields)
    rows = [(key, reason, UNREADABLE_FILE, *([None] * width), 0, []) for key, reason in sorted(reasons.items())]
    return spark.createDataFrame(rows, raw_schema(contract))
