"""Raw readers keep every record as raw strings with its source file; unreadable records carry a read rule."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from etl.contracts import LogicalType, RawFormat
from etl.curate.deliveries import run_window
from etl.curate.readers import read_raw
from etl.ingest.landing import land_file
from etl.ingest.rows import FileCount, count_csv_rows, count_gzip_json_lines
from etl.lake import LocalLakeStore
from tests.unit.etl.curate.builders import field, widget_contract

DAY = date(2026, 11, 29)
PREFIX = "raw/widgets/date=2026-11-29"
HEADER = "widget_id,label,price,kind,made_on,seen_at,serial,owner\n"


def _rows(frame):
    return sorted(frame.collect(), key=lambda row: (row["_source_file"], row["_position"]))


def _land(store, name: str, data: bytes, count: FileCount) -> None:
    land_file(store, "widgets", DAY, name, data, count)


def _read(spark, store, contract, unreadable=None, extract=None):
    files = run_window(store, "widgets", DAY, 0).files
    return _rows(read_raw(spark, store, contract, files, unreadable or {}, extract))


@pytest.fixture(scope="module")
def csv_rows(spark, tmp_path_factory):
    contract = widget_contract(unquoted_delimiter_field="label")
    store = LocalLakeStore(tmp_path_factory.mktemp("lake"))
    body = (
        "1,Alpha,NULL,a,,2026-11-29T10:00:00Z,S1,ann\n"
        '2,"Quoted, with ""quotes""",3.50,b,2026-11-01,2026-11-29T10:00:00Z,S2,bob\n'
        "3,Rua do Paço, 67,1.00,a,2026-11-01,2026-11-29T10:00:00Z,S3,cy\n"
        "4,Short,1.00\n"
        "8,Eighth,1.00,a,2026-11-01,2026-11-29T10:00:00Z,S8,eve,surplus,fields\n"
        '9,"Two\nlines",1.00,a,2026-11-01,2026-11-29T10:00:00Z,S9,fay\n'
    )
    files = {
        "a.csv": (HEADER + body).encode("utf-8"),
        "b.csv": (HEADER + "5,Caf\u00e9,1.00,a,,,S5,dee\n10,Plain,1.00,a,,,S10,gil\n").encode("latin-1"),
        "c.csv": b"widget_id,label,colour\n6,Sixth,red\n",
        "d.csv": "\ufeffwidget_id,label\r\n7,Seventh\r\n".encode(),
        "e.csv": HEADER.encode(),
        "empty.csv": b"",
        "f.csv": b"label,widget_id\nEleventh,11\n",
    }
    for name, data in files.items():
        _land(store, name, data, count_csv_rows(data, contract.source_encoding))
    return _read(spark, store, contract)


def _by_id(rows, widget_id):
    return next(row for row in rows if row["_raw_widget_id"] == widget_id)


def test_csv_literal_null_and_empty_fields_are_missing(csv_rows):
    row = _by_id(csv_rows, "1")
    assert row["_raw_price"] is None and row["_raw_made_on"] is None
    assert row["_read_error"] is None
    assert row["_source_file"] == f"{PREFIX}/a.csv"


def test_csv_quoted_fields_keep_their_commas_and_quotes(csv_rows):
    assert _by_id(csv_rows, "2")["_raw_label"] == 'Quoted, with "quotes"'


def test_csv_quoted_line_breaks_stay_inside_one_record(csv_rows):
    row = _by_id(csv_rows, "9")
    assert (row["_raw_label"], row["_raw_owner"], row["_read_error"]) == ("Two\nlines", "fay", None)


def test_csv_unquoted_commas_in_the_declared_column_are_joined_back_when_the_piece_begins_with_a_space(csv_rows):
    row = _by_id(csv_rows, "3")
    assert (row["_raw_label"], row["_raw_price"], row["_read_error"]) == ("Rua do Paço, 67", "1.00", None)


def test_the_declared_repair_cannot_absorb_surplus_columns_so_nothing_is_shifted(csv_rows):
    row = _by_id(csv_rows, "8")
    assert row["_read_error"] == "column_count"
    assert row["_raw_record"] == "8,Eighth,1.00,a,2026-11-01,2026-11-29T10:00:00Z,S8,eve,surplus,fields"


def test_csv_row_with_too_few_fields_is_kept_whole_with_the_column_count_rule(csv_rows):
    row = _by_id(csv_rows, "4")
    assert (row["_read_error"], row["_raw_record"]) == ("column_count", "4,Short,1.00")


def test_a_csv_file_in_another_encoding_is_quarantined_whole_with_readable_raw_values(csv_rows):
    rows = [row for row in csv_rows if row["_source_file"] == f"{PREFIX}/b.csv"]
    assert [(row["_read_error"], row["_raw_label"]) for row in rows] == [("encoding", "Café"), ("encoding", "Plain")]
    assert rows[0]["_raw_record"] == "5,Café,1.00,a,,,S5,dee"


def test_csv_columns_are_matched_by_header_name_and_extra_ones_reported(csv_rows):
    row = _by_id(csv_rows, "6")
    assert (row["_raw_label"], row["_raw_price"], row["_extra_columns"]) == ("Sixth", None, ["colour"])
    assert row["_present_mask"] == 0b11
    assert _by_id(csv_rows, "1")["_present_mask"] == 0b11111111
    assert _by_id(csv_rows, "11")["_raw_label"] == "Eleventh"  # header in another order


def test_empty_and_header_only_csv_files_give_no_records(csv_rows):
    assert not [row for row in csv_rows if row["_source_file"] in (f"{PREFIX}/e.csv", f"{PREFIX}/empty.csv")]
    assert len(csv_rows) == 11


def test_a_byte_order_mark_and_crlf_line_ends_do_not_turn_the_header_into_data(csv_rows):
    row = _by_id(csv_rows, "7")
    assert (row["_raw_label"], row["_read_error"], row["_source_file"]) == ("Seventh", None, f"{PREFIX}/d.csv")


def test_records_keep_their_order_inside_their_file_and_their_files_landing_order(csv_rows):
    a_file = [row for row in csv_rows if row["_source_file"] == f"{PREFIX}/a.csv"]
    assert [row["_raw_widget_id"] for row in a_file] == ["1", "2", "3", "4", "8", "9"]
    assert {row["_delivery"] for row in a_file} == {0}
    assert _by_id(csv_rows, "11")["_delivery"] == 6


@pytest.fixture(scope="module")
def json_rows(spark, tmp_path_factory):
    store = LocalLakeStore(tmp_path_factory.mktemp("lake"))
    lines = [
        json.dumps({"widget_id": 1, "label": "A", "price": 1.5, "kind": None, "extra": {"x": 1}}),
        "",
        '{"widget_id": 2, "label": ',
        json.dumps({"widget_id": 3, "label": {"text": "A"}, "kind": ["a"], "owner": "{not an object}"}),
    ]
    data = gzip.compress("\n".join(lines).encode() + b"\n")
    misencoded = gzip.compress('{"widget_id": 4, "label": "Caf\xe9"}\n{"widget_id": 5}\n'.encode("latin-1"))
    contract = widget_contract(raw_format=RawFormat.JSON_LINES_GZIP)
    for name, payload in (("events.jsonl.gz", data), ("latin1.jsonl.gz", misencoded)):
        _land(store, name, payload, count_gzip_json_lines(payload, contract.source_encoding))
    return _read(spark, store, contract)


def test_json_lines_values_arrive_as_their_raw_json_text_and_blank_lines_are_no_records(json_rows):
    row = next(row for row in json_rows if row["_raw_widget_id"] == "1")
    assert (row["_raw_widget_id"], row["_raw_price"], row["_raw_kind"]) == ("1", "1.5", None)
    assert row["_extra_columns"] == ["extra"]
    assert row["_present_mask"] == 0b1111
    assert len(json_rows) == 5


def test_a_malformed_json_line_is_kept_with_the_malformed_json_rule(json_rows):
    assert [row["_raw_record"] for row in json_rows if row["_read_error"] == "malformed_json"] == [
        '{"widget_id": 2, "label": '
    ]


def test_an_object_or_array_where_a_string_is_expected_is_a_type_mismatch_but_a_string_with_braces_is_not(json_rows):
    row = next(row for row in json_rows if row["_raw_widget_id"] == "3")
    assert row["_type_mismatch"] == ["label", "kind"]
    assert row["_raw_owner"] == "{not an object}"


def test_a_json_lines_file_in_another_encoding_is_quarantined_whole_with_readable_lines(json_rows):
    encoded = [row for row in json_rows if row["_read_error"] == "encoding"]
    assert [row["_raw_record"] for row in encoded] == ['{"widget_id": 4, "label": "Café"}', '{"widget_id": 5}']


SOURCE_KEYS = ("widget_id", "label", "price", "kind", "made_on", "seen_at", "serial", "owner")


@pytest.fixture(scope="module")
def keyed_rows(spark, tmp_path_factory):
    """JSON lines whose key lists differ from the contract's in every way the reader must tell apart."""
    store = LocalLakeStore(tmp_path_factory.mktemp("lake"))
    every = dict.fromkeys(SOURCE_KEYS)
    lines = [
        json.dumps({**every, "widget_id": 1}),  # the contract's keys in its order, most values null
        json.dumps({"owner": "o", **{k: v for k, v in every.items() if k != "owner"}, "widget_id": 2}),  # reordered
        json.dumps({"widget_id": 3, "label": None}),  # an explicit null is a present key, a missing key is not
        json.dumps({**every, "widget_id": 4, "colour": "red"}),  # one key added
        "   ",  # spaces only: no record, as landing counts it
        "[1, 2]",
        "42",
        "null",
    ]
    data = gzip.compress("\n".join(lines).encode() + b"\n")
    contract = widget_contract(raw_format=RawFormat.JSON_LINES_GZIP)
    _land(store, "keys.jsonl.gz", data, count_gzip_json_lines(data, contract.source_encoding))
    return _read(spark, store, contract)


def test_a_record_with_every_contract_key_in_any_order_is_fully_present_even_with_null_values(keyed_rows):
    assert [(r["_present_mask"], r["_extra_columns"]) for r in keyed_rows[:2]] == [(0b11111111, []), (0b11111111, [])]
    assert keyed_rows[1]["_raw_owner"] == "o"


def test_a_missing_key_is_absent_from_the_mask_but_an_explicit_null_is_present(keyed_rows):
    assert keyed_rows[2]["_present_mask"] == 0b11


def test_a_key_the_contract_does_not_know_is_an_extra_column(keyed_rows):
    assert (keyed_rows[3]["_present_mask"], keyed_rows[3]["_extra_columns"]) == (0b11111111, ["colour"])


def test_lines_that_are_json_but_not_one_object_are_malformed_and_blank_lines_are_no_records(keyed_rows):
    assert [(r["_raw_record"], r["_read_error"]) for r in keyed_rows[4:]] == [
        ("[1, 2]", "malformed_json"),
        ("42", "malformed_json"),
        ("null", "malformed_json"),
    ]
    assert all(r["_read_error"] is None for r in keyed_rows[:4])


def test_each_json_line_is_parsed_once(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    data = gzip.compress(json.dumps(dict.fromkeys(SOURCE_KEYS, "1")).encode() + b"\n")
    contract = widget_contract(raw_format=RawFormat.JSON_LINES_GZIP)
    _land(store, "once.jsonl.gz", data, count_gzip_json_lines(data, contract.source_encoding))
    files = run_window(store, "widgets", DAY, 0).files
    plan = read_raw(spark, store, contract, files, {})._jdf.queryExecution().optimizedPlan().toString()
    assert plan.count("from_json(") == 1


def test_catalog_pages_explode_to_items_and_a_broken_page_is_one_record_for_all_its_items(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    page = {"items": [{"widget_id": 1, "label": "A"}, {"widget_id": 2, "label": "B"}], "page": 1, "next_page": 2}
    _land(store, "page-1.json", json.dumps(page).encode(), FileCount(2))
    _land(store, "page-2.json", b'{"items": [{"widget_id": 3,', FileCount(5))
    rows = _read(spark, store, widget_contract(raw_format=RawFormat.JSON_PAGES))
    assert [(r["_raw_widget_id"], r["_read_error"], r["_rows"]) for r in rows] == [
        ("1", None, 1),
        ("2", None, 1),
        (None, "malformed_json", 5),
    ]
    assert rows[2]["_raw_record"] == '{"items": [{"widget_id": 3,'


def test_valuation_documents_are_flattened_by_the_extractor_into_raw_strings(spark, tmp_path):
    store = LocalLakeStore(tmp_path)
    _land(store, "v1.json", json.dumps({"id": 1, "when": "2026-11-29T10:00:00Z"}).encode(), FileCount(1))
    _land(store, "v2.json", b"{not json", FileCount(1))
    _land(store, "v3.json", '{"id": "\xe9"}'.encode("latin-1"), FileCount(1))
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

    rows = _read(spark, store, contract, extract=extract)
    assert [r["_read_error"] for r in rows] == [None, "malformed_json", "encoding"]
    assert (rows[0]["_raw_widget_id"], rows[0]["_raw_seen_at"], rows[0]["_raw_flag"], rows[0]["_raw_price"]) == (
        "1",
        "2026-11-29T10:00:00+00:00",
        "true",
        "1.50",
    )
    assert rows[0]["_extra_columns"] == ["unknown"]
    assert rows[2]["_raw_record"] == '{"id": "é"}'


def test_files_known_unreadable_are_not_read_and_stand_for_every_row_landing_counted(spark, tmp_path):
    contract = widget_contract(raw_format=RawFormat.JSON_LINES_GZIP)
    store = LocalLakeStore(tmp_path)
    _land(store, "gone.jsonl.gz", b"\x1f\x8b truncated", FileCount(75))
    rows = _read(spark, store, contract, unreadable={f"{PREFIX}/gone.jsonl.gz": "truncated"})
    assert [(r["_source_file"], r["_read_error"], r["_raw_record"], r["_rows"]) for r in rows] == [
        (f"{PREFIX}/gone.jsonl.gz", "unreadable_file", "truncated", 75)
    ]
    assert read_raw(spark, store, contract, [], {}).count() == 0
