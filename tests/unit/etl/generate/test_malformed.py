"""Injected malformed inputs: each kind damages the generated files the way it says."""

from __future__ import annotations

import csv
import gzip
import io
import zlib

import pytest

from etl.generate.dataset import GeneratorSpec, generate
from etl.generate.malformed import MalformedKind


@pytest.fixture
def damaged(tmp_path, northwind_sample_dir):
    spec = GeneratorSpec(
        order_lines=200,
        events=600,
        seed=4,
        sample_dir=northwind_sample_dir,
        clickstream_days=1,
        workers=1,
        malformed=tuple(MalformedKind),
    )
    return generate(spec, tmp_path / "damaged")


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8", errors="replace"))))


def test_every_kind_is_injected_once_and_reported(damaged):
    assert [i.kind for i in damaged.injections] == list(MalformedKind)


def test_the_truncated_gzip_file_cannot_be_read_to_its_end(damaged):
    [injection] = [i for i in damaged.injections if i.kind is MalformedKind.TRUNCATED_GZIP]
    with pytest.raises((EOFError, zlib.error)):
        gzip.decompress(injection.file.read_bytes())


def test_bad_json_lines_are_appended_to_a_readable_file(damaged):
    [injection] = [i for i in damaged.injections if i.kind is MalformedKind.BAD_JSON_LINES]
    last_lines = gzip.decompress(injection.file.read_bytes()).splitlines()[-injection.rows :]
    assert last_lines == [b'{"event_id": "unterminated', b"this is not json", b"[1, 2, 3]"]


def test_wrong_column_count_dates_duplicates_and_latin1_rows_are_in_the_csv_files(damaged):
    lines = _csv_rows((damaged.folder / "order-details.csv").read_bytes())
    orders = _csv_rows((damaged.folder / "orders.csv").read_bytes())
    customers_bytes = (damaged.folder / "customers.csv").read_bytes()

    assert sorted(len(row) for row in lines if len(row) != 5) == [3, 6]
    assert {orders[1][3], orders[2][3]} == {"1997-02-30 00:00:00.000", "not a date"}
    assert orders[-2:] == orders[1:3]
    with pytest.raises(UnicodeDecodeError):
        customers_bytes.decode("utf-8")
    assert customers_bytes.splitlines()[-1].decode("latin-1").startswith("XLATN,Café Größe")
