"""CSV files read as RFC 4180 defines them, every value kept as a raw string.

A quoted field may hold delimiters, doubled quotes and line breaks; lines may end in CRLF or LF; a UTF-8 byte
order mark is not part of the first column's name. Columns are matched to the contract by the names in each
file's header (landing records it in the manifest), never by position, and files with different headers are
read as separate groups. A record with more or fewer fields than its header is kept whole, with the
``column_count`` rule, except for the one repair a contract may declare: a column the source writes with
unquoted commas ("Rua do Paço, 67"), whose pieces are joined back only when every surplus piece begins with a
space, so a surplus column (",extra") is never absorbed. ``NULL`` and empty fields are missing values.

A file landing found not to be in the contract's declared encoding is read as ISO-8859-1, which maps every byte
to one character (nothing lost, and a Latin-1 file reads as written), and every record of it carries the
``encoding`` rule: the whole file is quarantined, readable, until it is delivered again in the right encoding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import reduce

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.contracts import DataContract
from etl.curate.deliveries import DeliveredFile
from etl.curate.readers.common import COLUMN_COUNT, ENCODING, field_bit, source_file, standard_columns

NULL_TOKENS = ("NULL", "")
CORRUPT_RECORD = "_corrupt_record"
_PIECES, _TOKENS, _REPAIRED = "_csv_pieces", "_csv_tokens", "_csv_repaired"
# Spark's and Java's name for the lossless fallback decoding of a file in another encoding.
FALLBACK_ENCODING = "ISO-8859-1"
# A comma followed by an even number of quotes up to the end of the record: a delimiter outside quotes.
_UNQUOTED_COMMA = r',(?=(?:[^"]*"[^"]*")*[^"]*$)'


def read_csv(
    spark: SparkSession, contract: DataContract, files: Sequence[DeliveredFile], uris: Mapping[str, str]
) -> DataFrame | None:
    """Records of the CSV files ``files`` (each with the header landing recorded), or None when every file is
    empty; ``uris`` maps lake keys to where Spark reads them."""
    groups: dict[tuple[tuple[str, ...], bool], list[str]] = defaultdict(list)
    for delivered in files:
        if delivered.header is not None:
            misencoded = delivered.problem is not None and delivered.problem.rule == ENCODING
            groups[(delivered.header, misencoded)].append(uris[delivered.key])
    frames = [
        _read_group(spark, contract, list(names), paths, misencoded)
        for (names, misencoded), paths in sorted(groups.items())
    ]
    return reduce(DataFrame.unionByName, frames) if frames else None


def _schema_names(names: list[str]) -> list[str]:
    # Spark compares a header with the schema's names and warns when they differ: the header's own names are
    # used when Spark can take them, positional ones otherwise (they are matched to the contract by position).
    if len(set(names)) == len(names) and all(name and name.strip() == name and "`" not in name for name in names):
        return names
    return [f"_c{index}" for index in range(len(names))]


def _read_group(
    spark: SparkSession, contract: DataContract, names: list[str], paths: Sequence[str], misencoded: bool
) -> DataFrame:
    columns = _schema_names(names)
    schema = T.StructType([T.StructField(name, T.StringType()) for name in [*columns, CORRUPT_RECORD]])
    records = (
        spark.read.options(
            header=True,
            multiLine=True,  # quoted line breaks; each file is then read whole, in order, by one task
            escape='"',
            mode="PERMISSIVE",
            columnNameOfCorruptRecord=CORRUPT_RECORD,
            encoding=FALLBACK_ENCODING if misencoded else contract.source_encoding.value,
        )
        .schema(schema)
        .csv(list(paths))
    )
    parsed = [F.col(f"`{name}`") for name in columns]
    corrupt = F.col(CORRUPT_RECORD).isNotNull()
    # One projection per step, each referring to the one before: written as one expression, Spark would copy the
    # split into every use of it.
    records = records.withColumn(_PIECES, _split(F.col(CORRUPT_RECORD)))
    records = records.withColumn(_TOKENS, _repair(F.col(_PIECES), names, contract))
    records = records.withColumn(_REPAIRED, corrupt & (F.size(_TOKENS) == len(names)))
    tokens, repaired = F.col(_TOKENS), F.col(_REPAIRED)
    positions = {name: index for index, name in enumerate(names)}
    values = {
        f.name: _missing_as_null(
            F.when(repaired, tokens[positions[f.source_name]]).otherwise(parsed[positions[f.source_name]])
        )
        for f in contract.source_fields
        if f.source_name in positions
    }
    present = sum(field_bit(i) for i, f in enumerate(contract.source_fields) if f.source_name in positions)
    known = {f.source_name for f in contract.source_fields}
    read_error = F.when(F.lit(misencoded), F.lit(ENCODING)).when(corrupt & ~repaired, F.lit(COLUMN_COUNT))
    return records.select(
        standard_columns(
            contract,
            source=source_file(contract.dataset),
            raw_record=F.coalesce(F.col(CORRUPT_RECORD), F.to_csv(F.struct(*parsed))),
            read_error=read_error,
            values=values,
            present_mask=F.lit(present),
            extra_columns=F.array(*(F.lit(name) for name in names if name not in known)),
        )
    )


def _split(record: Column) -> Column:
    """Fields of one CSV record, unquoted (used only for records whose field count does not match the header)."""
    parts = F.when(record.contains('"'), F.split(record, _UNQUOTED_COMMA)).otherwise(F.split(record, ","))
    return F.transform(
        parts,
        lambda part: F.when(
            part.startswith('"') & part.endswith('"') & (F.length(part) >= 2),
            F.regexp_replace(part.substr(F.lit(2), F.length(part) - 2), '""', '"'),
        ).otherwise(part),
    )


def _repair(tokens: Column, names: list[str], contract: DataContract) -> Column:
    """``tokens`` with the declared column's pieces joined back, when each surplus piece begins with a space."""
    field = contract.unquoted_delimiter_field
    source = contract.field(field).source_name if field else None
    if source not in names:
        return tokens
    index, width = names.index(source), len(names)
    surplus = F.size(tokens) - width
    pieces = F.slice(tokens, index + 2, F.greatest(surplus, F.lit(1)))
    rejoined = F.concat(
        F.slice(tokens, 1, index),
        F.array(F.array_join(F.slice(tokens, index + 1, surplus + 1), ",")),
        F.slice(tokens, surplus + index + 2, width - index - 1),
    )
    return F.when((surplus > 0) & F.forall(pieces, lambda piece: piece.startswith(" ")), rejoined).otherwise(tokens)


def _missing_as_null(value: Column) -> Column:
    return F.when(value.isin(*NULL_TOKENS), F.lit(None)).otherwise(value)
