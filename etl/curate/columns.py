"""Names of the bookkeeping columns every raw batch carries through curation."""

from __future__ import annotations

SOURCE_FILE = "_source_file"  # lake key of the raw file the record came from
RAW_RECORD = "_raw_record"  # the record as delivered (CSV record, JSON line or item), kept for quarantine
READ_ERROR = "_read_error"  # rule name when the record could not be read (column_count, encoding, ...)
PRESENT_MASK = "_present_mask"  # bit i set when contract source field i exists in the record's source schema
EXTRA_COLUMNS = "_extra_columns"  # source columns the contract does not know
TYPE_MISMATCH = "_type_mismatch"  # fields delivered as another JSON type than the contract's (an object for a string)
ROWS = "_rows"  # landed rows the record stands for: 1, or all of a file's rows for a file that cannot be read
DELIVERY = "_delivery"  # landing order of the record's file (its manifest entry): the later delivery wins
POSITION = "_position"  # increases with the record's place in its file: the later record of a delivery wins
DIGEST = "_digest"  # hash of the record's curated values: equal digests are the same row delivered again
ROW_FAILURES = "_row_failures"  # failures of the rules on the record alone, before duplicates are judged
FAILURES = "_failures"  # array<struct<rule, field, raw_value>>: empty for a row that passes every rule
OUTCOME = "_outcome"  # for a passing row: latest (curated), superseded or redelivered (an older delivery of it)

RAW_PREFIX = "_raw_"


def raw_column(field_name: str) -> str:
    """The column holding a field's raw string value, before typing."""
    return f"{RAW_PREFIX}{field_name}"
