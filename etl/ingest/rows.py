"""What landing learns from a delivered file's bytes: its data rows, its CSV header, and damage to the whole file.

Counting never fails: a damaged file counts the rows that can be read and says what is wrong with it, and
curation applies that to every row of it. Rows are records as their standard defines them (RFC 4180 for CSV: a
quoted line break is part of one record), so curation, which reads them the same way, can be checked against
these counts.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from dataclasses import dataclass

from etl.contracts import SourceEncoding
from etl.ingest.manifest import FileProblem

ENCODING = "encoding"
UNREADABLE_FILE = "unreadable_file"
BYTE_ORDER_MARK = "\ufeff"


@dataclass(frozen=True)
class FileCount:
    """A file's data rows, its CSV header (None for other formats or an empty file) and whole-file damage."""

    rows: int
    header: tuple[str, ...] | None = None
    problem: FileProblem | None = None


def decode_text(data: bytes, encoding: SourceEncoding, first_line: int = 1) -> tuple[str, FileProblem | None]:
    """``data`` (whose first line is line ``first_line`` of its file) as text in the declared ``encoding``; bytes
    that are not are decoded as ISO-8859-1 instead (every byte is one character, so nothing is lost and the file
    stays readable), with the problem naming the first such byte."""
    try:
        return data.decode(encoding.value), None
    except UnicodeDecodeError as error:
        line = first_line + data.count(b"\n", 0, error.start)
        return data.decode("iso-8859-1"), FileProblem(
            rule=ENCODING,
            detail=(
                f"not {encoding.value} as the contract declares: byte 0x{data[error.start]:02X} on line {line}; "
                f"every row is quarantined as encoding, so ask for the file again in {encoding.value}"
            ),
        )


def csv_records(text: str) -> list[list[str]]:
    """The non-blank CSV records of ``text`` (RFC 4180), the header first with any byte order mark removed."""
    records = [record for record in csv.reader(io.StringIO(text, newline="")) if record]
    if records:
        records[0][0] = records[0][0].removeprefix(BYTE_ORDER_MARK)
    return records


def count_csv_rows(data: bytes, encoding: SourceEncoding = SourceEncoding.UTF_8) -> FileCount:
    """Data records of a CSV file with a header, its header, and whether it is in the declared encoding."""
    text, problem = decode_text(data, encoding)
    records = csv_records(text)
    if not records:
        return FileCount(0, None, problem)
    return FileCount(len(records) - 1, tuple(records[0]), problem)


def count_gzip_json_lines(data: bytes, encoding: SourceEncoding = SourceEncoding.UTF_8) -> FileCount:
    """Non-blank lines of a gzip JSON-lines file, up to where a truncated or corrupt stream ends (which makes the
    file unreadable), and whether every line is in the declared encoding."""
    lines, problem = 0, None
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            for number, line in enumerate(stream, start=1):
                if line.rstrip(b"\r\n").strip(b" "):
                    lines += 1
                if problem is None:
                    problem = decode_text(line, encoding, first_line=number)[1]
    except (EOFError, OSError, zlib.error) as error:
        problem = FileProblem(
            rule=UNREADABLE_FILE,
            detail=(
                f"the gzip stream is truncated or corrupt after {lines} complete line(s) ({error}); every row "
                "landing counted is quarantined with the file, so ask for the file to be sent again"
            ),
        )
    return FileCount(lines, None, problem)
