"""Deliberately broken inputs, injected into a generated source folder to prove nothing is lost.

Each kind damages the generated files the way real deliveries break; the returned records say which file
was touched and how many rows are affected, so a test can expect them in quarantine (or in a clear error).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class MalformedKind(StrEnum):
    """The kinds of damage the generator can inject."""

    TRUNCATED_GZIP = "truncated-gzip"
    BAD_JSON_LINES = "bad-json-lines"
    WRONG_COLUMN_COUNT = "wrong-column-count"
    BAD_DATES = "bad-dates"
    DUPLICATE_KEYS = "duplicate-keys"
    LATIN1_ROWS = "latin1-rows"


@dataclass(frozen=True)
class Injection:
    """One injected fault: its kind, the file it is in, and how many rows it adds or damages."""

    kind: MalformedKind
    file: Path
    rows: int


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _truncate_gzip(source: Path) -> Injection:
    target = sorted((source / "clickstream").glob("events-*.jsonl.gz"))[0]
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return Injection(MalformedKind.TRUNCATED_GZIP, target, 1)


def _bad_json_lines(source: Path) -> Injection:
    target = sorted((source / "clickstream").glob("events-*.jsonl.gz"))[-1]
    broken = b'{"event_id": "unterminated\nthis is not json\n[1, 2, 3]\n'
    target.write_bytes(gzip.compress(gzip.decompress(target.read_bytes()) + broken, mtime=0))
    return Injection(MalformedKind.BAD_JSON_LINES, target, 3)


def _wrong_column_count(source: Path) -> Injection:
    target = source / "order-details.csv"
    with target.open("ab") as handle:
        handle.write(b"99001,1,18.00\n99002,2,19.00,5,0,surplus\n")
    return Injection(MalformedKind.WRONG_COLUMN_COUNT, target, 2)


def _bad_dates(source: Path) -> Injection:
    target = source / "orders.csv"
    lines = _lines(target)
    for index, bad in ((1, b"1997-02-30 00:00:00.000"), (2, b"not a date")):
        fields = lines[index].split(b",")
        fields[3] = bad
        lines[index] = b",".join(fields)
    target.write_bytes(b"".join(lines))
    return Injection(MalformedKind.BAD_DATES, target, 2)


def _duplicate_keys(source: Path) -> Injection:
    target = source / "orders.csv"
    lines = _lines(target)
    target.write_bytes(b"".join([*lines, lines[1], lines[2]]))
    return Injection(MalformedKind.DUPLICATE_KEYS, target, 2)


def _latin1_rows(source: Path) -> Injection:
    target = source / "customers.csv"
    row = "XLATN,Café Größe,Zoë Müller,Owner,Königstraße 5,München,NULL,80331,Germany,089-1234,NULL\n"
    with target.open("ab") as handle:
        handle.write(row.encode("latin-1"))
    return Injection(MalformedKind.LATIN1_ROWS, target, 1)


_INJECTORS = {
    MalformedKind.TRUNCATED_GZIP: _truncate_gzip,
    MalformedKind.BAD_JSON_LINES: _bad_json_lines,
    MalformedKind.WRONG_COLUMN_COUNT: _wrong_column_count,
    MalformedKind.BAD_DATES: _bad_dates,
    MalformedKind.DUPLICATE_KEYS: _duplicate_keys,
    MalformedKind.LATIN1_ROWS: _latin1_rows,
}


def inject(source: Path, kinds: list[MalformedKind]) -> list[Injection]:
    """Damage the generated folder ``source`` with each of ``kinds``, in order; returns what was done."""
    return [_INJECTORS[kind](source) for kind in kinds]
