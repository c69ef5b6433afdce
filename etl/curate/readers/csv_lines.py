"""CSV files read line by line as raw strings, so column counts, encodings and raw values stay visible.

Each file's header (its first line) decides which column is which; files with different headers are read as
separate groups. Fields may be quoted RFC 4180 style (a quoted field holds commas and doubled quotes) but not
line breaks: a record broken over lines fails the column count. ``NULL`` and empty fields are missing values.
A contract may name one free-text column the source writes with unquoted commas: a row with surplus columns
has them joined back into that column, since the source's other columns never hold commas.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import reduce

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from etl.contracts import DataContract
from etl.curate.readers.common import (
    COLUMN_COUNT,
    ENCODING,
    field_bit,
    invalid_utf8,
    source_file,
    standard_columns,
)

NULL_TOKENS = ("NULL", "")
# A comma followed by an even number of quotes up to the end of the line: a delimiter outside quotes.
_UNQUOTED_COMMA = r',(?=(?:[^"]*"[^"]*")*[^"]*$)'


def read_header(data: bytes) -> tuple[str, list[str]]:
    """A CSV file's first line as Spark's text reader returns it (to skip it) and its column names.

    Like Hadoop's line reader, a UTF-8 byte order mark and the line end are dropped. ValueError
    (UnicodeDecodeError included) when the file has no UTF-8 header.
    """
    line = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8").removeprefix("\ufeff")
    if not line.strip():
        raise ValueError("the file is empty or starts with a blank line; a header row is required")
    return line, next(csv.reader([line]))


def read_csv(
    spark: SparkSession, contract: DataContract, headers: Mapping[str, tuple[str, list[str]]], uris: Mapping[str, str]
) -> DataFrame:
    """Rows of the CSV files ``uris`` (lake key -> path), given each file's ``headers``."""
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    for key, (line, names) in headers.items():
        groups[(line, tuple(names))].append(uris[key])
    frames = [_read_group(spark, contract, line, list(names), paths) for (line, names), paths in sorted(groups.items())]
    return reduce(DataFrame.unionByName, frames)


def _read_group(
    spark: SparkSession, contract: DataContract, header_line: str, names: list[str], paths: Sequence[str]
) -> DataFrame:
    lines = spark.read.text(list(paths)).where(F.col("value") != F.lit(header_line))
    tokens = _repair(_split(F.col("value")), names, contract)
    positions = {name: index for index, name in enumerate(names)}
    values = {
        f.name: _missing_as_null(tokens[positions[f.source_name]])
        for f in contract.source_fields
        if f.source_name in positions
    }
    present = sum(field_bit(i) for i, f in enumerate(contract.source_fields) if f.source_name in positions)
    known = {f.source_name for f in contract.source_fields}
    extra = [name for name in names if name not in known]
    read_error = F.when(invalid_utf8(F.col("value")), F.lit(ENCODING)).when(
        F.size(tokens) != len(names), F.lit(COLUMN_COUNT)
    )
    return lines.select(
        standard_columns(
            contract,
            source=source_file(contract.dataset),
            raw_record=F.col("value"),
            read_error=read_error,
            values=values,
            present_mask=F.lit(present),
            extra_columns=F.array(*(F.lit(name) for name in extra)),
        )
    )


def _split(line: Column) -> Column:
    """Fields of one CSV line, unquoted; the regular-expression split only runs on lines with quotes."""
    parts = F.when(line.contains('"'), F.split(line, _UNQUOTED_COMMA)).otherwise(F.split(line, ","))
    return F.transform(
        parts,
        lambda part: F.when(
            part.startswith('"') & part.endswith('"') & (F.length(part) >= 2),
            F.regexp_replace(part.substr(F.lit(2), F.length(part) - 2), '""', '"'),
        ).otherwise(part),
    )


def _repair(tokens: Column, names: list[str], contract: DataContract) -> Column:
    field = contract.unquoted_delimiter_field
    source = contract.field(field).source_name if field else None
    if source not in names:
        return tokens
    index, width = names.index(source), len(names)
    surplus = F.size(tokens) - width
    rejoined = F.concat(
        F.slice(tokens, 1, index),
        F.array(F.array_join(F.slice(tokens, index + 1, surplus + 1), ",")),
        F.slice(tokens, surplus + index + 2, width - index - 1),
    )
    return F.when(surplus > 0, rejoined).otherwise(tokens)


def _missing_as_null(value: Column) -> Column:
    return F.when(value.isin(*NULL_TOKENS), F.lit(None)).otherwise(value)
