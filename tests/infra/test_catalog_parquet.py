"""The synthesized catalog tables against what the real curation writes: every dataset landed from the
Northwind sample (and one vehicle valuation lookup), curated by ``curate_dataset`` on local Spark, then each
table's columns compared with the Parquet files' schema and its partition keys with their directories."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from etl.contracts import all_contracts, reference_order
from etl.curate import curate_dataset
from etl.enrich.vehicle_valuation.cache import ValuationCache
from etl.enrich.vehicle_valuation.validation import LookupRequest
from etl.lake import LocalLakeStore
from etl.pipeline import PipelineConfig, ingest_all, prepare_sources

RUN = date(2026, 11, 29)
_SIMPLE = {
    pa.int32(): "int",
    pa.int64(): "bigint",
    pa.string(): "string",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.date32(): "date",
}


def hive_type(arrow: pa.DataType) -> str:
    """The Hive type a Parquet column of this Arrow type is declared as."""
    if pa.types.is_timestamp(arrow):
        return "timestamp"
    if pa.types.is_decimal(arrow):
        return f"decimal({arrow.precision},{arrow.scale})"
    if pa.types.is_list(arrow):
        return f"array<{hive_type(arrow.value_type)}>"
    if pa.types.is_struct(arrow):
        return "struct<" + ",".join(f"{f.name}:{hive_type(f.type)}" for f in arrow) + ">"
    return _SIMPLE[arrow]


@pytest.fixture(scope="session")
def curated_lake(spark, tmp_path_factory, northwind_sample_dir) -> Path:
    """A lake where every contract's dataset has been landed and curated once.

    Session-scoped: the suite runs every stack's tests together, so a module's fixture would curate again for
    each stack."""
    root = tmp_path_factory.mktemp("catalog-lake")
    config = PipelineConfig(
        lake=root / "lake",
        source=northwind_sample_dir,
        local_dir=root,
        run_date=RUN,
        clickstream_events=200,
        clickstream_days=1,
    )
    store = LocalLakeStore(config.lake)
    ingest_all(config, store, *prepare_sources(config))
    ValuationCache(store, timedelta(days=1)).save(
        LookupRequest(plate="NW 1997", state_code="WA"),
        datetime(2026, 11, 29, 9, tzinfo=UTC),
        {"vehicle": "1997 Ford F-150", "average_market_price": 4200.5, "statistical_confidence": "94%"},
    )
    for dataset in reference_order(all_contracts()):  # parents first, so references resolve
        report = curate_dataset(spark, store, dataset, RUN, pseudonym_key=b"catalog-test-key")
        assert report.rows_curated, f"{dataset}: no raw input curated; land a sample of it in this fixture"
    return config.lake


def _catalog_tables(stack) -> list[tuple[str, dict]]:
    """(zone, table) for every synthesized catalog table."""
    zones = {
        f"${{aws_glue_catalog_database.{k}.name}}": b["tags"]["zone"]
        for k, b in stack.resources("aws_glue_catalog_database").items()
    }
    return [(zones[b["database_name"]], b) for b in stack.resources("aws_glue_catalog_table").values()]


@pytest.mark.slow
def test_catalog_columns_and_partitions_are_what_curation_and_quarantine_write(stack, curated_lake):
    tables = _catalog_tables(stack)
    assert {zone for zone, _ in tables} == {"curated", "quarantine"}
    for _, table in tables:
        location = table["storage_descriptor"]["location"].split("}/", 1)[1]
        files = sorted((curated_lake / location).rglob("*.parquet"))
        assert files, f"curation wrote nothing under {location}"
        declared = [(c["name"], c["type"]) for c in table["storage_descriptor"]["columns"]]
        keys = [(k["name"], k["type"]) for k in table.get("partition_keys", [])]
        for path in files:
            written = [(f.name, hive_type(f.type)) for f in pq.read_schema(path)]
            assert written == declared, f"{path.relative_to(curated_lake)}"
            directories = path.parent.relative_to(curated_lake / location).parts
            assert [d.split("=", 1)[0] for d in directories] == [name for name, _ in keys]
            for (_, key_type), directory in zip(keys, directories, strict=True):
                assert _parses_as(key_type, directory.split("=", 1)[1]), f"{path.relative_to(curated_lake)}"


def _parses_as(hive: str, value: str) -> bool:
    """A partition directory's value is one the declared key type reads (dates in the projected ISO form)."""
    if hive == "date":
        return date.fromisoformat(value).isoformat() == value
    if hive in ("int", "bigint"):
        return str(int(value)) == value
    return hive == "string" and bool(value)
