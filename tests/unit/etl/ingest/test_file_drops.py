"""Hourly clickstream files and the market indicator drop folder."""

from __future__ import annotations

import gzip
from datetime import date

import pytest

from etl.contracts import SourceEncoding
from etl.ingest.clickstream import ingest_clickstream
from etl.ingest.errors import IngestError
from etl.ingest.manifest import read_manifest
from etl.ingest.market import ingest_market_drop
from etl.ingest.rows import FileCount, count_csv_rows, count_gzip_json_lines
from etl.lake import LocalLakeStore

DAY = date(2026, 11, 29)


def test_hourly_clickstream_files_land_with_their_event_counts_and_other_files_are_refused(tmp_path):
    staging = tmp_path / "clickstream"
    staging.mkdir()
    (staging / "events-2026112900.jsonl.gz").write_bytes(gzip.compress(b'{"a":1}\n{"a":2}\n', mtime=0))
    (staging / "events-2026112901.jsonl.gz").write_bytes(gzip.compress(b'{"a":3}\n', mtime=0))
    (staging / "notes.txt").write_text("not an event file")

    report = ingest_clickstream(LocalLakeStore(tmp_path / "lake"), staging, DAY)

    assert [f.rows for f in report.files] == [2, 1]
    assert report.files[0].key == "raw/clickstream_events/date=2026-11-29/hour=00/events-2026112900.jsonl.gz"
    assert list(report.refused) == ["notes.txt"]


def test_an_hourly_file_delivered_again_on_a_later_day_lands_on_the_same_key_of_its_hour(tmp_path):
    staging = tmp_path / "clickstream"
    staging.mkdir()
    store = LocalLakeStore(tmp_path / "lake")
    (staging / "events-2026102410.jsonl.gz").write_bytes(gzip.compress(b'{"a":1}\n', mtime=0))
    ingest_clickstream(store, staging, DAY)
    same = ingest_clickstream(store, staging, date(2026, 11, 30))
    (staging / "events-2026102410.jsonl.gz").write_bytes(gzip.compress(b'{"a":1}\n', mtime=1))  # re-gzipped
    regzipped = ingest_clickstream(store, staging, date(2026, 12, 1))

    assert same.files_skipped == 1
    assert regzipped.new_versions == 1
    assert regzipped.files[0].key == "raw/clickstream_events/date=2026-10-24/hour=10/events-2026102410.jsonl.gz"


def test_a_file_named_for_an_hour_that_does_not_exist_is_refused(tmp_path):
    staging = tmp_path / "clickstream"
    staging.mkdir()
    (staging / "events-2026023010.jsonl.gz").write_bytes(gzip.compress(b"{}\n"))
    report = ingest_clickstream(LocalLakeStore(tmp_path / "lake"), staging, DAY)
    assert list(report.refused) == ["events-2026023010.jsonl.gz"] and report.files == []


def test_a_truncated_gzip_file_still_lands_byte_for_byte_counting_the_lines_readable(tmp_path):
    staging = tmp_path / "clickstream"
    staging.mkdir()
    whole = gzip.compress(b"".join(b'{"event":%d}\n' % i for i in range(2000)), mtime=0)
    (staging / "events-2026112900.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    store = LocalLakeStore(tmp_path / "lake")

    [landed] = ingest_clickstream(store, staging, DAY).files

    assert store.get_bytes(landed.key) == whole[: len(whole) // 2]
    assert 0 < landed.rows < 2000
    [entry] = read_manifest(store, "clickstream_events")
    assert entry.problem.rule == "unreadable_file"
    assert f"after {landed.rows} complete line(s)" in entry.problem.detail


def test_a_missing_clickstream_folder_is_a_clear_error(tmp_path):
    with pytest.raises(IngestError, match=r"clickstream staging folder .* does not exist"):
        ingest_clickstream(LocalLakeStore(tmp_path), tmp_path / "absent", DAY)


def test_market_drop_files_land_and_move_to_done_so_the_next_pick_up_sees_only_new_ones(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "indicators-2026-11.csv").write_text("indicator_date,country\n2026-11-01,UK\n2026-11-02,UK\n")
    (drop / "readme.pdf").write_bytes(b"%PDF")
    store = LocalLakeStore(tmp_path / "lake")

    first = ingest_market_drop(store, drop, DAY)
    second = ingest_market_drop(store, drop, DAY)

    assert (first.files_landed, first.rows_landed) == (1, 2)
    assert (drop / "done" / "indicators-2026-11.csv").is_file()
    assert not (drop / "indicators-2026-11.csv").exists()
    assert first.refused == {"readme.pdf": "not a .csv file; the vendor delivers CSV only"}
    assert second.files == []


def test_a_file_dropped_again_with_the_same_bytes_is_a_no_op_in_the_lake(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    store = LocalLakeStore(tmp_path / "lake")
    for _ in range(2):
        (drop / "indicators.csv").write_text("indicator_date,country\n2026-11-01,UK\n")
        report = ingest_market_drop(store, drop, DAY)

    assert (report.files_landed, report.files_skipped) == (0, 1)


def test_a_missing_drop_folder_is_a_clear_error(tmp_path):
    with pytest.raises(IngestError, match=r"drop folder .* does not exist"):
        ingest_market_drop(LocalLakeStore(tmp_path), tmp_path / "absent", DAY)


def test_csv_row_counts_follow_rfc_4180_and_record_the_header_without_a_byte_order_mark():
    assert count_csv_rows(b'a,b\n1,"two\nlines"\n2,x\n') == FileCount(2, ("a", "b"))
    assert count_csv_rows(b'\xef\xbb\xbfa,b\r\n\r\n1,"x,y"\r\n') == FileCount(1, ("a", "b"))
    assert count_csv_rows(b"a,b\n") == FileCount(0, ("a", "b"))
    assert count_csv_rows(b"") == FileCount(0)


def test_a_csv_file_not_in_the_declared_encoding_is_counted_and_flagged_for_the_whole_file():
    count = count_csv_rows("a,b\n1,Caf\u00e9\n2,x\n".encode("latin-1"), SourceEncoding.UTF_8)
    assert (count.rows, count.header, count.problem.rule) == (2, ("a", "b"), "encoding")
    assert "byte 0xE9 on line 2" in count.problem.detail
    assert count_csv_rows("a\nCaf\u00e9\n".encode("latin-1"), SourceEncoding.ISO_8859_1).problem is None


def test_a_gzip_json_lines_file_with_a_line_in_another_encoding_is_flagged_with_its_line():
    data = gzip.compress(b'{"a":1}\n\n{"a":"\xe9"}\n')
    count = count_gzip_json_lines(data, SourceEncoding.UTF_8)
    assert (count.rows, count.problem.rule) == (2, "encoding")
    assert "on line 3" in count.problem.detail
