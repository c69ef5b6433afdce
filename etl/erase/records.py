"""Removing a data subject's records from one object, leaving every other byte of it as it was.

Raw files are rewritten record by record from their own text (CSV records, JSON lines), so the records kept are
byte for byte what the source delivered; Parquet files (curated, quarantine) are rewritten with their schema.
A predicate says which records go: it sees a record as a mapping of field name to value (CSV header names or
JSON keys in raw, column names in Parquet).
"""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

Record = Mapping[str, object]
Predicate = Callable[[Record], bool]
# Bytes that are not UTF-8 survive decoding and encoding unchanged.
_LOSSLESS = "surrogateescape"
_BOM = "\ufeff"


@dataclass(frozen=True)
class Filtered:
    """An object with the subject's records removed: its new bytes and how many records went and stayed."""

    data: bytes
    removed: int
    kept: int


def _csv_records(text: str) -> Iterator[tuple[list[str], str]]:
    """Each CSV record with its exact text (a quoted field may span lines)."""
    lines = iter(io.StringIO(text, newline=""))
    consumed: list[str] = []

    def tracked() -> Iterator[str]:
        for line in lines:
            consumed.append(line)
            yield line

    for fields in csv.reader(tracked()):
        raw = "".join(consumed)
        consumed.clear()
        yield fields, raw


def filter_csv(data: bytes, drop: Predicate) -> Filtered:
    """``data`` without the CSV records ``drop`` selects; the header and every other record as delivered.

    Columns are found by the header; a source's unquoted commas shift only the columns after the field that
    holds them, and the keys a subject is found by come before it in every export.
    """
    text = data.decode("utf-8", _LOSSLESS)
    records = _csv_records(text)
    try:
        header, header_text = next(records)
    except StopIteration:
        return Filtered(data, 0, 0)
    names = [name.removeprefix(_BOM) for name in header]
    kept_text, removed, kept = [header_text], 0, 0
    for fields, raw in records:
        if drop(dict(zip(names, fields, strict=False))):
            removed += 1
        else:
            kept_text.append(raw)
            kept += bool(fields)
    if not removed:
        return Filtered(data, 0, kept)
    return Filtered("".join(kept_text).encode("utf-8", _LOSSLESS), removed, kept)


def _json_object(line: bytes) -> Record | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _json_line_goes(line: bytes, drop: Predicate, mentions: bytes) -> bool:
    record = _json_object(line)
    # A line that is not a JSON object cannot be read by field; it goes when it names the subject at all.
    return drop(record) if record is not None else mentions in line


def _readable_lines(data: bytes) -> list[bytes]:
    """The lines of a gzip file (one or more members), up to where a truncated or corrupt stream ends."""
    text, rest, complete = b"", data, True
    while rest:
        decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        try:
            text += decompressor.decompress(rest)
        except zlib.error:
            complete = False
            break
        complete, rest = decompressor.eof, decompressor.unused_data
        if not complete:
            break
    lines = text.splitlines(keepends=True)
    # A stream cut short may end in the middle of a line: that part cannot be read as a record.
    if not complete and lines and not lines[-1].endswith(b"\n"):
        lines.pop()
    return lines


def filter_gzip_json_lines(data: bytes, drop: Predicate, mentions: bytes) -> Filtered:
    """A gzip JSON-lines file without the lines ``drop`` selects, recompressed.

    ``mentions`` is the subject's key as it would appear in a line that is not valid JSON. A file whose gzip
    stream is damaged is filtered as far as it can be read.
    """
    lines, kept_lines, removed = _readable_lines(data), [], 0
    for line in lines:
        if line.strip() and _json_line_goes(line, drop, mentions):
            removed += 1
        else:
            kept_lines.append(line)
    if not removed:
        return Filtered(data, 0, sum(1 for line in lines if line.strip()))
    kept = sum(1 for line in kept_lines if line.strip())
    return Filtered(gzip.compress(b"".join(kept_lines), mtime=0), removed, kept)


def filter_delivery_errors(data: bytes, drop: Predicate, mentions: bytes) -> Filtered:
    """Firehose's error records (JSON lines, the record base64 in ``rawData``) without those of the subject."""
    kept_lines, removed = [], 0
    lines = data.splitlines(keepends=True)
    for line in lines:
        envelope = _json_object(line)
        raw = envelope.get("rawData") if envelope else None
        record = base64.b64decode(raw) if isinstance(raw, str) else line
        if line.strip() and _json_line_goes(record.strip(), drop, mentions):
            removed += 1
        else:
            kept_lines.append(line)
    return Filtered(b"".join(kept_lines) if removed else data, removed, sum(1 for x in kept_lines if x.strip()))


def filter_parquet(data: bytes, drop_rows: Callable[[pa.Table], pa.Array]) -> Filtered:
    """A Parquet file without the rows ``drop_rows`` marks (a boolean array over the table), same schema."""
    table = pq.read_table(io.BytesIO(data))
    mask = drop_rows(table)
    removed = int(pc.sum(mask).as_py() or 0) if len(table) else 0
    if not removed:
        return Filtered(data, 0, len(table))
    kept = table.filter(pc.invert(mask))
    out = io.BytesIO()
    pq.write_table(kept, out, compression="snappy")
    return Filtered(out.getvalue(), removed, len(kept))


def column_matches(table: pa.Table, column: str, values: set[str]) -> pa.Array:
    """True where ``column`` (cast to string) is one of ``values``; all false when the table has no such
    column."""
    if column not in table.column_names or not values:
        return pa.array([False] * len(table))
    cells = pc.cast(table[column], pa.string())
    return pc.fill_null(pc.is_in(cells, value_set=pa.array(sorted(values))), False)
