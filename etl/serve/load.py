"""Build every serving aggregate from the curated zone and load it into its PostgreSQL table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from pyspark.sql import DataFrame, SparkSession

from etl.lake import LakeStore
from etl.serve import aggregates
from etl.serve.migrate import apply_migrations
from etl.serve.upsert import UpsertResult, upsert_rows


class ServingInputError(RuntimeError):
    """A curated dataset an aggregate needs is not in the lake."""


Curated = dict[str, DataFrame]


@dataclass(frozen=True)
class ServingTable:
    """A serving table, the curated datasets it is built from, and the aggregate that takes them in that order.

    An ``optional`` table (default False) is left as it is while its datasets have no curated data yet, as
    vehicle valuations on a machine that has made no valuation lookups.
    """

    table: str
    datasets: tuple[str, ...]
    aggregate: Callable[..., DataFrame]
    optional: bool = False

    def build(self, curated: Curated) -> DataFrame:
        """The table's rows from the curated datasets."""
        return self.aggregate(*(curated[dataset] for dataset in self.datasets))


SERVING_TABLES = (
    ServingTable(
        "serving.daily_sales",
        ("orders", "order_lines", "products"),
        aggregates.daily_sales,
    ),
    ServingTable(
        "serving.customer_lifetime_value",
        ("orders", "order_lines", "customers"),
        aggregates.customer_lifetime_value,
    ),
    ServingTable(
        "serving.clickstream_funnel_daily",
        ("clickstream_events",),
        aggregates.clickstream_funnel_daily,
    ),
    ServingTable(
        "serving.market_indicators_beside_sales",
        ("orders", "order_lines", "market_indicators"),
        aggregates.market_indicators_beside_sales,
    ),
    ServingTable(
        "serving.vehicle_valuations_latest",
        ("vehicle_valuations",),
        aggregates.latest_vehicle_valuations,
        optional=True,
    ),
)


def tables_for(
    datasets: tuple[str, ...], tables: tuple[ServingTable, ...] = SERVING_TABLES
) -> tuple[ServingTable, ...]:
    """The serving tables built from any of ``datasets`` (all of ``tables`` when none are named)."""
    if not datasets:
        return tables
    return tuple(table for table in tables if set(table.datasets) & set(datasets))


def curated_prefix(dataset: str) -> str:
    """Where curation writes ``dataset`` in the lake."""
    return f"curated/{dataset}/"


def is_curated(store: LakeStore, dataset: str) -> bool:
    """True when curation has written ``dataset``."""
    return next(iter(store.list_keys(curated_prefix(dataset))), None) is not None


def loadable_tables(store: LakeStore, tables: tuple[ServingTable, ...] = SERVING_TABLES) -> tuple[ServingTable, ...]:
    """``tables`` without the optional ones whose curated data does not exist yet."""
    return tuple(table for table in tables if not table.optional or all(is_curated(store, d) for d in table.datasets))


def read_curated(spark: SparkSession, store: LakeStore, datasets: set[str]) -> Curated:
    """The curated Parquet of each of ``datasets``; a clear error names any that curation has not written."""
    missing = sorted(d for d in datasets if not is_curated(store, d))
    if missing:
        raise ServingInputError(
            f"curated data missing for {', '.join(missing)} in the lake; run curation for them first"
        )
    # Not cached: reading the Parquet again is cheaper than building an in-memory copy of it (10M clickstream
    # events took minutes to cache on a 2-core machine, and Parquet reads only the columns an aggregate uses).
    return {dataset: spark.read.parquet(store.uri(curated_prefix(dataset))) for dataset in sorted(datasets)}


def needed_datasets(tables: tuple[ServingTable, ...] = SERVING_TABLES) -> set[str]:
    """The curated datasets ``tables`` are built from."""
    return {dataset for table in tables for dataset in table.datasets}


def build_aggregates(curated: Curated, tables: tuple[ServingTable, ...] = SERVING_TABLES) -> dict[str, DataFrame]:
    """Each serving table's aggregate, computed from the curated datasets."""
    return {table.table: table.build(curated) for table in tables}


def load_serving(
    spark: SparkSession,
    store: LakeStore,
    connection: psycopg.Connection,
    tables: tuple[ServingTable, ...] = SERVING_TABLES,
) -> list[UpsertResult]:
    """Migrate the serving database, then upsert every aggregate; one result per table loaded (optional tables
    without curated data are left out)."""
    apply_migrations(connection)
    tables = loadable_tables(store, tables)
    curated = read_curated(spark, store, needed_datasets(tables))
    return [
        upsert_rows(connection, table, frame.columns, frame.collect())
        for table, frame in build_aggregates(curated, tables).items()
    ]
