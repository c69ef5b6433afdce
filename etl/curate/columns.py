"""Names of the bookkeeping columns every raw batch carries through curation."""

from __future__ import annotations

SOURCE_FILE = "_source_file"  # lake key of the raw file the record came from
RAW_RECORD = "_raw_record"  # the record as delivered (CSV line, JSON line or item), kept for quarantine
READ_ERROR = "_read_error"  # rule name when the record could not be read (column_count, encoding, ...)
PRESENT_MASK = "_present_mask"  # bit i set when contract source field i exists in the record's source schema
EXTRA_COLUMNS = "_extra_columns"  # source columns the contract does not know
FAILURES = "_failures"  # array<struct<rule, field, raw_value>>: empty for a row that passes every rule

RAW_PREFIX = "_raw_"


def raw_column(field_name: str) -> str:
    """The column holding a field's raw string value, before typing."""
    return f"{RAW_PREFIX}{field_name}"
