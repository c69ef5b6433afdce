"""The benchmark's clickstream peer: DuckDB curates the same files to the same counts as Spark's curation."""

from __future__ import annotations

import gzip
import json
from datetime import date

import duckdb
import pytest

from etl.bench.duckdb_clickstream import run_duckdb_clickstream
from etl.curate import curate_dataset
from etl.curate.pseudonymize import LOCAL_DEVELOPMENT_KEY
from etl.ingest.landing import land_file
from etl.ingest.rows import count_gzip_json_lines
from etl.lake import LocalLakeStore

RUN = date(2026, 11, 29)


def _event(event_id: str, **overrides) -> bytes:
    event = {
        "event_id": event_id,
        "session_id": "S1",
        "customer_id": "ALFKI",
        "event_type": "page_view",
        "product_id": None,
        "page_url": "/",
        "event_time": "2026-11-29T10:00:00Z",
        "user_agent": "Mozilla/5.0",
        "ip_address": "192.0.2.1",
        "order_id": None,
    } | overrides
    return json.dumps(event).encode()


def _land(store, name: str, lines: list[bytes]) -> None:
    data = gzip.compress(b"\n".join(lines) + b"\n")
    land_file(store, "clickstream_events", RUN, name, data, count_gzip_json_lines(data))


def _uuid(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


@pytest.fixture(scope="module")
def landed(tmp_path_factory):
    """Two hourly files with every rule failing once, a repeat inside a delivery and a correction in a later one."""
    store = LocalLakeStore(tmp_path_factory.mktemp("lake"))
    _land(
        store,
        "events-2026112910.jsonl.gz",
        [
            _event(_uuid(1)),
            _event(_uuid(2), event_time="2026-11-28T23:59:59Z"),
            b'{"event_id": ',
            b"[1, 2]",
            _event(_uuid(3), event_type="teleport"),
            _event("not-a-uuid"),
            _event(_uuid(4), event_time="2026-11-29 10:00:00"),
            _event(_uuid(5), event_time="2036-01-01T00:00:00Z"),
            _event(_uuid(6), product_id=7),
            _event(_uuid(7), customer_id={"id": "ALFKI"}),
            _event(_uuid(8), page_url=None),
            _event(_uuid(9)),
            _event(_uuid(9), session_id="S2"),
        ],
    )
    _land(store, "events-2026112911.jsonl.gz", [_event(_uuid(1), session_id="S3"), _event(_uuid(10), order_id=0)])
    return store


def test_duckdb_curates_the_clickstream_to_the_counts_spark_reports(spark, landed, tmp_path):
    report = curate_dataset(spark, landed, "clickstream_events", RUN, 0, pseudonym_key=LOCAL_DEVELOPMENT_KEY)

    peer = run_duckdb_clickstream(landed.root, RUN, LOCAL_DEVELOPMENT_KEY, tmp_path / "duck", threads=1)

    latest = report.rows_inserted + report.rows_updated + report.rows_unchanged
    assert (report.rows_curated, report.rows_quarantined, latest) == (4, 11, 3)
    assert (peer.rows_curated, peer.rows_quarantined, peer.rows_latest) == (4, 11, 3)
    assert peer.rows_read == report.rows_read and peer.seconds > 0


def test_duckdb_writes_pseudonymized_date_partitioned_events_like_spark(spark, landed, tmp_path):
    curate_dataset(spark, landed, "clickstream_events", RUN, 0, pseudonym_key=LOCAL_DEVELOPMENT_KEY)
    spark_rows = {
        (r["event_id"], r["session_id"], r["customer_id"], str(r["event_date"]))
        for r in spark.read.parquet(landed.uri("curated/clickstream_events")).collect()
    }

    run_duckdb_clickstream(landed.root, RUN, LOCAL_DEVELOPMENT_KEY, tmp_path / "duck", threads=1)

    duck_rows = duckdb.sql(
        f"SELECT event_id, session_id, customer_id, CAST(event_date AS VARCHAR) FROM read_parquet("
        f"'{tmp_path / 'duck' / 'curated' / '**' / '*.parquet'}', hive_partitioning = true)"
    ).fetchall()
    assert set(duck_rows) == spark_rows
    assert {row[3] for row in duck_rows} == {"2026-11-28", "2026-11-29"}
