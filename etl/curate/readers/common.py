"""What every raw reader shares: the standard output columns and how they are built.

A reader returns one row per landed record with the record as delivered (``_raw_record``), the lake key of
its file, a read-error rule when the record could not be read, one raw string column per contract field, the
fields delivered as the wrong JSON type, and the landed rows the record stands for (1, or a whole file's rows
when the file cannot be read). Nothing is typed here, so a bad value can still be quarantined with its raw form.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.contracts import DataContract
from etl.curate.columns import (
    EXTRA_COLUMNS,
    PRESENT_MASK,
    RAW_RECORD,
    READ_ERROR,
    ROWS,
    SOURCE_FILE,
    TYPE_MISMATCH,
    raw_column,
)
from etl.curate.deliveries import DeliveredFile

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
            T.StructField(TYPE_MISMATCH, T.ArrayType(T.StringType())),
            T.StructField(ROWS, T.LongType()),
        ]
    )


def source_file(dataset: str) -> Column:
    """The lake key (``raw/<dataset>/date=.../[hour=.../]<file>``) of the file a row was read from: what follows
    the last ``raw/<dataset>/`` in its path (partition folders and file names hold no slash). Found per row, so a
    substring search rather than a regular expression."""
    prefix = f"raw/{dataset}/"
    return F.concat(F.lit(prefix), F.substring_index(F.input_file_name(), prefix, -1))


def whole_file_problem(files: Mapping[str, DeliveredFile], rule: str) -> Column:
    """True for records of files landing found ``rule`` damage in (the whole file gets that rule)."""
    keys = sorted(key for key, delivered in files.items() if delivered.problem and delivered.problem.rule == rule)
    return F.col(SOURCE_FILE).isin(*keys) if keys else F.lit(False)


def file_rows(files: Mapping[str, DeliveredFile]) -> Column:
    """The landed rows of the record's file, for a record that stands for its whole file."""
    rows = F.create_map(*(F.lit(item) for key, delivered in files.items() for item in (key, delivered.rows)))
    return F.coalesce(F.element_at(rows, F.col(SOURCE_FILE)), F.lit(1)) if files else F.lit(1)


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
    type_mismatch: Column | None = None,
    rows: Column | None = None,
) -> list[Column]:
    """The reader output columns, in ``raw_schema`` order; ``values`` maps field names to raw strings. ``source``
    must be the column itself when ``rows`` refers to ``SOURCE_FILE``."""
    return [
        source.alias(SOURCE_FILE),
        raw_record.alias(RAW_RECORD),
        read_error.alias(READ_ERROR),
        *(values.get(f.name, F.lit(None)).cast("string").alias(raw_column(f.name)) for f in contract.source_fields),
        present_mask.cast("long").alias(PRESENT_MASK),
        extra_columns.cast("array<string>").alias(EXTRA_COLUMNS),
        (type_mismatch if type_mismatch is not None else F.array()).cast("array<string>").alias(TYPE_MISMATCH),
        (rows if rows is not None else F.lit(1)).cast("long").alias(ROWS),
    ]


def unreadable_files(
    spark: SparkSession, contract: DataContract, reasons: Mapping[str, str], rows: Mapping[str, int]
) -> DataFrame:
    """One quarantine-bound record per file that cannot be read at all, carrying the reason as raw value and
    standing for every row landing counted in the file (``rows``)."""
    width = len(contract.source_fields)
    records = [
        (key, reason, UNREADABLE_FILE, *([None] * width), 0, [], [], rows.get(key, 1))
        for key, reason in sorted(reasons.items())
    ]
    return spark.createDataFrame(records, raw_schema(contract))
