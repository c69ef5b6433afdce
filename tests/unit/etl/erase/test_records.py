"""Removing one subject's records from a file keeps every other byte as delivered."""

from __future__ import annotations

import base64
import gzip
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq

from etl.curate.pseudonymize import hmac_sha256_hex, pseudonym
from etl.erase.records import (
    column_matches,
    filter_csv,
    filter_delivery_errors,
    filter_gzip_json_lines,
    filter_parquet,
)


def _customer(record) -> bool:
    return record.get("customerID") == "ALFKI"


def test_a_csv_keeps_its_header_and_other_records_byte_for_byte_including_quoted_newlines_and_odd_bytes():
    data = (
        "\ufeffcustomerID,address,city\r\n"
        'ALFKI,"Obere Str. 57\r\nHinterhaus",Berlin\r\n'
        "ANATR,Avda. de la Constitución 2222,México D.F.\r\n"
    ).encode() + b"BOLID,C/ Araquil, 67,Madrid \xe9\r\n"

    filtered = filter_csv(data, _customer)

    assert (filtered.removed, filtered.kept) == (1, 2)
    assert (
        filtered.data
        == ("\ufeffcustomerID,address,city\r\nANATR,Avda. de la Constitución 2222,México D.F.\r\n").encode()
        + b"BOLID,C/ Araquil, 67,Madrid \xe9\r\n"
    )


def test_a_csv_without_the_subject_is_returned_unchanged():
    data = b"customerID,city\nANATR,Mexico\n"
    filtered = filter_csv(data, _customer)
    assert (filtered.data, filtered.removed, filtered.kept) == (data, 0, 1)
    assert filter_csv(b"", _customer).removed == 0


def test_json_lines_lose_the_subjects_events_and_a_damaged_line_naming_them():
    lines = [
        json.dumps({"event_id": "1", "customer_id": "ALFKI", "session_id": "s1"}),
        json.dumps({"event_id": "2", "customer_id": None, "session_id": "s1"}),
        json.dumps({"event_id": "3", "customer_id": "ANATR", "session_id": "s2"}),
        '{"event_id": "4", "customer_id": "ALFKI", broken',
        "not json at all",
    ]
    data = gzip.compress(("\n".join(lines) + "\n").encode())

    filtered = filter_gzip_json_lines(
        data, lambda r: r.get("customer_id") == "ALFKI" or r.get("session_id") == "s1", b'"ALFKI"'
    )

    kept = gzip.decompress(filtered.data).decode().splitlines()
    assert (filtered.removed, filtered.kept) == (3, 2)
    assert kept == [lines[2], lines[4]]


def test_a_truncated_gzip_file_is_filtered_as_far_as_it_can_be_read():
    data = gzip.compress(b'{"customer_id": "ALFKI"}\n{"customer_id": "ANATR"}\n')[:-8]
    filtered = filter_gzip_json_lines(data, lambda r: r.get("customer_id") == "ALFKI", b'"ALFKI"')
    assert filtered.removed == 1


def test_firehose_error_records_are_read_through_their_base64_payload():
    def envelope(event: dict) -> str:
        raw = base64.b64encode((json.dumps(event) + "\n").encode()).decode()
        return json.dumps({"errorCode": "S3.AccessDenied", "errorMessage": "denied", "rawData": raw})

    data = f"{envelope({'customer_id': 'ALFKI'})}\n{envelope({'customer_id': 'ANATR'})}\n".encode()
    filtered = filter_delivery_errors(data, lambda r: r.get("customer_id") == "ALFKI", b'"ALFKI"')
    assert (filtered.removed, filtered.kept) == (1, 1)
    assert b"ANATR" in base64.b64decode(json.loads(filtered.data)["rawData"])


def _parquet(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def test_parquet_loses_the_marked_rows_and_keeps_its_schema():
    table = pa.table({"customer_id": ["a" * 64, "b" * 64, None], "orders": [1, 2, 3]})
    filtered = filter_parquet(_parquet(table), lambda t: column_matches(t, "customer_id", {"a" * 64}))
    kept = pq.read_table(io.BytesIO(filtered.data))
    assert (filtered.removed, filtered.kept) == (1, 2)
    assert kept.schema == table.schema
    assert kept["orders"].to_pylist() == [2, 3]


def test_matching_a_missing_column_or_no_values_marks_nothing():
    table = pa.table({"x": [1, 2]})
    assert column_matches(table, "customer_id", {"a"}).to_pylist() == [False, False]
    assert column_matches(table, "x", set()).to_pylist() == [False, False]


def test_the_python_pseudonym_is_the_one_curation_writes(spark):
    key = b"northwind-test-key"
    row = spark.createDataFrame([("ALFKI",)], "id string").select(hmac_sha256_hex(spark_col("id"), key)).first()
    assert row[0] == pseudonym("ALFKI", key)


def spark_col(name: str):
    from pyspark.sql import functions as F

    return F.col(name)
