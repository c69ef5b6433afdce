"""Raw readers keep every record as raw strings with its source file; unreadable records carry a read rule."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from etl.contracts import LogicalType, RawFormat
from etl.curate.readers import read_raw
from etl.lake import LocalLakeStore
from tests.unit.etl.curate.builders import field, widget_contract

DAY = "raw/widgets/date=2026-11-29"


def _rows(frame):
    return sorted(frame.collect(), key=lambda row: (row["_source_file"], row["_raw_record"] or ""))


@pytest.fixture(scope="module")
def csv_rows(spark, tmp_path_factory):
    contract = widget_contract(unquoted_delimiter_field="label")
    store = LocalLakeStore(tmp_path_factory.mktemp("lake"))
    header = "widget_id,label,price,kind,made_on,seen_at,serial,owner\n"
    body = (
        "1,Alpha,NULL,a,,2026-11-29T10:00:00Z,S1,ann\n"
        '2,"Quoted, with ""quotes""",3.50,b,2026-11-01,2026-11-29T10:00:00Z,S2,bob\n'
        "3,Rua do Paço, 67,1.00,a,2026-11-01,2026-11-29T10:00:00Z,S3,cy\n"
        "4,Short,1.00\n"
    )
    store.put_bytes(f"{DAY}/a.csv", (header + body).encode("utf-8"))
    store.put_bytes(f"{DAY}/b.csv", (header + "5,Caf\u00e9,1.00,a,,,S5,dee\n").encode("latin-1"))
    store.put_bytes(f"{DAY}/c.csv", b"widget_id,label,colour\n6,Sixth,red\n")
    store.put_bytes(f"{DAY}/d.csv", "\ufeffwidget_id,label\r\n7,Seventh\r\n".encode())
    store.put_bytes(f"{DAY}/empty.csv", b"")
    keys = sorted(store.list_keys(DAY))
    return _rows(read_raw(spark, store, contract, keys, {}))


def _by_id(rows, widget_id):
    return next(row for row in rows if row["_raw_widget_id"] == widget_id)


def test_csv_literal_null_and_empty_fields_are_missing(csv_rows):
    row = _by_id(csv_rows, "1")
    assert row["_raw_price"] is None and row["_raw_made_on"] is None
    assert row["_read_error"] is None
    assert row["_source_file"] == f"{DAY}/a.csv"


def test_csv_quoted_fields_keep_their_commas_and_quotes(csv_rows):
    assert _by_id(csv_rows, "2")["_raw_label"] == 'Quoted, with "quotes"'


def test_csv_unquoted_commas_in_the_free_text_column_are_joined_back(csv_rows):
    row = _by_id(csv_rows, "3")
    assert (row["_raw_label"], row["_raw_price"], row["_read_error"]) == ("Rua do Paço, 67", "1.00", None)


def test_csv_row_with_the_wrong_column_count_is_kept_with_the_column_count_rule(csv_rows):
    row = _by_id(csv_rows, "4")
    assert (row["_read_error"], row["_raw_record"]) == ("column_count", "4,Short,1.00")


def test_csv_row_that_is_not_utf8_is_kept_with_the_encoding_rule(csv_rows):
    row = _by_id(csv_rows, "5")
    assert row["_read_error"] == "encoding"
    assert row["_source_file"] == f"{DAY}/b.csv"


def test_csv_files_with_another_header_map_columns_by_name_and_report_extra_ones(csv_rows):
    row = _by_id(csv_rows, "6")
    assert (row["_raw_label"], row["_raw_price"], row["_extra_columns"]) == ("Sixth", None, ["colour"])
    assert row["_present_mask"] == 0b11
    assert _by_id(csv_rows, "1")["_present_mask"] == 0b11111111


def test_a_csv_file_without_a_header_is_one_unreadable_file_record(csv_rows):
    row = next(row for row in csv_rows if row["_source_file"] == f"{DAY}/empty.csv")
    assert row["_read_error"] == "unreadable_file"
    assert "header" in row["_raw_record"]
    assert len(csv_rows) == 8


def test_a_byte_order_mark_and_crlf_line_ends_do_not_turn_the_header_into_data(csv_rows):
    row = _by_id(csv_rows, "7")
    assert (row["_raw_label"], row["_read_error"], row["_source_file"]) == ("Seventh", None, f"{DAY}/d.csv")


@pytest.fixture(scope="module")
def json_rows(spark, tmp_path_factory):
    store = LocalLakeStore(tmp_path_factory.mktemp("lake"))
    lines = [
        json.dumps({"widget_id": 1, "label": "A", "price": 1.5, "kind": None, "extra": {"x": 1}}),
        '{"widget_id": 2, "label": ',
        '{"widget_id": 3, "label": "Caf\xe9"}',
    ]
    data = "\n".join(lines[:2]).encode() + b"\n" + lines[2].encode("latin-1") + b"\n"
    store.put_bytes(f"{DAY}/events.jsonl.gz", gzip.compress(data))
    contract = widget_contract(raw_format=RawFormat.JSON_LINES_GZIP)
    return _rows(read_raw(spark, store, contract, [f"{DAY}/events.jsonl.gz"], {}))


def test_json_lines_values_arrive_as_their_raw_json_text(json_rows):
    row = next(row for row in json_rows if row["_read_error"] is None)
    assert (row["_raw_widget_id"], row["_raw_price"], row["_raw_kind"]) == ("1", "1.5", None)
    assert row["_extra_columns"] == ["extra"]
    assert row["_present_mask"] == 0b1111


def test_a_malformed_json_line_is_kept_with_the_malformed_json_rule(json_rows):
    assert [row["_raw_record"] for row in json_rows if row["_read_error"] == "malformed_json"] == [
        '{"widget_id": 2, "label": '
    ]


def test_a_json_line_that_is_not_utf8_is_kept_with_the_encoding_rule(json_rows):
    encoded = [row for row in json_rows if row["_read_error"] == "encoding"]
    assert [row["_raw_record"][:15] for row in encoded] == ['{"widget_id": 3']
    assert len(json_rows) == 3


def test_catalog_pages_explode_to_items_and_a_broken_page_is_one_record(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    page = {"items": [{"widget_id": 1, "label": "A"}, {"widget_id": 2, "label": "B"}], "page": 1, "next_page": 2}
    store.put_bytes(f"{DAY}/page-1.json", json.dumps(page).encode())
    store.put_bytes(f"{DAY}/page-2.json", b'{"items": [{"widget_id": 3,')
    contract = widget_contract(raw_format=RawFormat.JSON_PAGES)
    rows = _rows(read_raw(spark, store, contract, sorted(store.list_keys(DAY)), {}))
    assert [(r["_raw_widget_id"], r["_read_error"]) for r in rows] == [
        ("1", None),
        ("2", None),
        (None, "malformed_json"),
    ]
    assert rows[2]["_raw_record"] == '{"items": [{"widget_id": 3,'


def test_valuation_documents_are_flattened_by_the_extractor_into_raw_strings(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    store.put_bytes(f"{DAY}/v1.json", json.dumps({"id": 1, "when": "2026-11-29T10:00:00Z"}).encode())
    store.put_bytes(f"{DAY}/v2.json", b"{not json")
    store.put_bytes(f"{DAY}/v3.json", '{"id": "\xe9"}'.encode("latin-1"))
    contract = widget_contract(
        raw_format=RawFormat.VALUATION_DOCUMENTS,
        fields=(
            field("widget_id", LogicalType.INTEGER, "int", required=True, primary_key=True),
            field("seen_at", LogicalType.TIMESTAMP),
            field("flag", LogicalType.BOOLEAN),
            field("price", LogicalType.NUMBER, "decimal(10,2)"),
        ),
    )

    def extract(document):
        return {
            "widget_id": document["id"],
            "seen_at": datetime(2026, 11, 29, 10, tzinfo=UTC),
            "flag": True,
            "price": Decimal("1.50"),
            "unknown": 1,
        }

    rows = _rows(read_raw(spark, store, contract, sorted(store.list_keys(DAY)), {}, extract))
    assert [r["_read_error"] for r in rows] == [None, "malformed_json", "encoding"]
    assert (rows[0]["_raw_widget_id"], rows[0]["_raw_seen_at"], rows[0]["_raw_flag"], rows[0]["_raw_price"]) == (
        "1",
        "2026-11-29T10:00:00+00:00",
        "true",
        "1.50",
    )
    assert rows[0]["_extra_columns"] == ["unknown"]


def test_files_already_known_unreadable_are_not_read_again(spark, tmp_path):
    contract = widget_contract(raw_format=RawFormat.JSON_LINES_GZIP)
    store = LocalLakeStore(tmp_path)
    rows = read_raw(spark, store, contract, [f"{DAY}/gone.jsonl.gz"], {f"{DAY}/gone.jsonl.gz": "truncated"}).collect()
    assert [(r["_source_file"], r["_read_error"], r["_raw_record"]) for r in rows] == [
        (f"{DAY}/gone.jsonl.gz", "unreadable_file", "truncated")
    ]
    assert read_raw(spark, store, contract, [], {}).count() == 0
