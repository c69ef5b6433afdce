"""Erasing one customer after a real local pipeline run: gone from every zone and the serving database, every
other row still there, and the next run balances and does not bring them back."""

from __future__ import annotations

import gzip
import io
import json
from datetime import date

import psycopg
import pyarrow.parquet as pq
import pytest

from etl.curate import curate_dataset
from etl.curate.pseudonymize import pseudonym, resolve_pseudonym_key
from etl.erase.objects import StoreObjects
from etl.erase.run import ErasureRequest, LakeTarget, erase_customer
from etl.lake import LocalLakeStore
from etl.pipeline import PipelineConfig, run_pipeline
from etl.serve.load import load_serving

SUBJECT = "ALFKI"


def _object_text(store: LocalLakeStore, key: str) -> str:
    data = store.get_bytes(key)
    if key.endswith(".parquet"):
        return json.dumps(pq.read_table(io.BytesIO(data)).to_pylist(), default=str)
    if key.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def _curated(spark, lake, dataset: str):
    return spark.read.parquet(str(lake / "curated" / dataset))


def _subject_rows(spark, lake, token: str, sessions: set[str], orders: set[int]) -> dict[str, int]:
    return {
        "customers": _curated(spark, lake, "customers").where(f"customer_id = '{token}'").count(),
        "orders": _curated(spark, lake, "orders").where(f"customer_id = '{token}'").count(),
        "order_lines": _curated(spark, lake, "order_lines").where(_in("order_id", orders)).count(),
        "clickstream_events": _curated(spark, lake, "clickstream_events")
        .where(f"customer_id = '{token}' OR {_in('session_id', sessions)}")
        .count(),
    }


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})" if values else "false"


def _serving_counts(database) -> dict[str, int]:
    with psycopg.connect(database.conninfo()) as connection:
        tables = [r[0] for r in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'serving'")]
        return {t: connection.execute(f"SELECT count(*) FROM serving.{t}").fetchone()[0] for t in sorted(tables)}


@pytest.mark.slow
def test_an_erased_customer_is_gone_from_every_zone_and_the_serving_database_and_every_other_row_remains(
    spark, northwind_sample_dir, tmp_path, postgres_database
):
    config = PipelineConfig(
        lake=tmp_path / "lake",
        source=northwind_sample_dir,
        local_dir=tmp_path,
        run_date=date(2026, 11, 29),
        clickstream_events=1_500,
        clickstream_days=1,
    )
    first = run_pipeline(config, spark, postgres_database, lambda _: None)
    assert first.ok
    token = pseudonym(SUBJECT, resolve_pseudonym_key())
    curated_orders = _curated(spark, config.lake, "orders")
    orders = {row.order_id for row in curated_orders.where(f"customer_id = '{token}'").collect()}
    events = _curated(spark, config.lake, "clickstream_events")
    sessions = {row.session_id for row in events.where(f"customer_id = '{token}'").collect()}
    datasets = ("customers", "orders", "order_lines", "clickstream_events", "products", "market_indicators")
    curated_before = {name: _curated(spark, config.lake, name).count() for name in datasets}
    theirs = _subject_rows(spark, config.lake, token, sessions, orders)
    serving_before = _serving_counts(postgres_database)
    assert orders and sessions and all(theirs.values()), "the sample must hold the customer in every dataset"

    store = LocalLakeStore(config.lake)
    with psycopg.connect(postgres_database.conninfo()) as connection:
        record = erase_customer(
            ErasureRequest(SUBJECT, "REQ-2026-0042", "privacy-desk ticket REQ-2026-0042"),
            [LakeTarget(StoreObjects(store), store)],
            store,
            resolve_pseudonym_key(),
            connection,
            print,
        )

    # Gone everywhere: no object of any zone names the customer, their pseudonym or one of their sessions.
    needles = (SUBJECT, token, *sessions)
    for key in store.list_keys(""):
        if key.startswith("reports/erasure/"):
            continue
        text = _object_text(store, key)
        assert not [needle for needle in needles if needle in text], key
    assert SUBJECT not in store.get_bytes(record.key).decode()
    assert _subject_rows(spark, config.lake, token, sessions, orders) == dict.fromkeys(theirs, 0)
    # Every other row remains: each dataset lost exactly the customer's rows, the others lost nothing.
    after = {name: _curated(spark, config.lake, name).count() for name in datasets}
    assert after == {name: curated_before[name] - theirs.get(name, 0) for name in datasets}
    serving_after = _serving_counts(postgres_database)
    assert record.serving_rows_deleted == {"serving.customer_lifetime_value": 1}
    assert serving_after == {
        **serving_before,
        "customer_lifetime_value": serving_before["customer_lifetime_value"] - 1,
    }

    # The next curation re-reads the rewritten raw files: it balances, and the customer does not come back.
    for dataset in theirs:
        report = curate_dataset(spark, store, dataset, config.run_date, config.lookback_days)
        assert report.balanced, dataset
    assert _subject_rows(spark, config.lake, token, sessions, orders) == dict.fromkeys(theirs, 0)
    with psycopg.connect(postgres_database.conninfo()) as connection:
        load_serving(spark, store, connection)
        clv = connection.execute(
            "SELECT count(*) FROM serving.customer_lifetime_value WHERE customer_id = %s", (token,)
        ).fetchone()[0]
    assert clv == 0
    print(json.dumps({"audit_record": record.key, "curated_before": curated_before, "curated_after": after}))
