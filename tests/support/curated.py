"""Tiny curated zones for tests: Parquet with every contract column, written by real local Spark."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

from pyspark.sql import types as T

from etl.contracts import LogicalType, load_contract
from etl.lake import LocalLakeStore

SPARK_TYPES = {
    LogicalType.STRING: T.StringType(),
    LogicalType.INTEGER: T.IntegerType(),
    LogicalType.NUMBER: T.DecimalType(12, 2),
    LogicalType.DATE: T.DateType(),
    LogicalType.TIMESTAMP: T.TimestampType(),
    LogicalType.BOOLEAN: T.BooleanType(),
}


def write_curated(spark, store, dataset: str, rows: list[dict]) -> None:
    """Curated Parquet with every contract column of ``dataset``; columns a row does not give are null."""
    fields = load_contract(dataset).fields
    schema = T.StructType([T.StructField(f.name, SPARK_TYPES[f.logical_type]) for f in fields])
    frame = spark.createDataFrame([tuple(row.get(f.name) for f in fields) for row in rows], schema)
    frame.write.mode("overwrite").parquet(store.uri(f"curated/{dataset}"))


def tiny_curated_lake(spark, root: Path) -> LocalLakeStore:
    """A curated zone with two orders, their lines, a product, a customer, an event, an indicator and two
    valuation lookups of one plate: small enough to work every aggregate out by hand."""
    store = LocalLakeStore(root)
    write_curated(
        spark,
        store,
        "orders",
        [
            {"order_id": 1, "customer_id": "c1", "order_date": date(1997, 1, 1), "ship_country": "Germany"},
            {"order_id": 2, "customer_id": "c2", "order_date": date(1997, 1, 2), "ship_country": "France"},
        ],
    )
    write_curated(
        spark,
        store,
        "order_lines",
        [
            {"order_id": 1, "product_id": 11, "unit_price": D("10.00"), "quantity": 2, "discount": D("0")},
            {"order_id": 2, "product_id": 11, "unit_price": D("10.00"), "quantity": 1, "discount": D("0.10")},
        ],
    )
    write_curated(spark, store, "products", [{"product_id": 11, "product_name": "Queso", "category_id": 4}])
    write_curated(spark, store, "customers", [{"customer_id": "c1", "country": "Germany"}])
    write_curated(
        spark,
        store,
        "clickstream_events",
        [
            {"event_id": "e1", "session_id": "s1", "event_type": "page_view", "event_time": datetime(2026, 10, 1, 9)},
        ],
    )
    write_curated(
        spark,
        store,
        "market_indicators",
        [
            {"indicator_date": date(1997, 1, 1), "country": "Germany", "indicator": "fx_usd", "value": D("0.55")},
        ],
    )
    lookup = {"plate_sha256": "ab" * 32, "state_code": "CA", "status_code": 200, "requested_date": date(2026, 11, 1)}
    write_curated(
        spark,
        store,
        "vehicle_valuations",
        [
            {**lookup, "requested_at": datetime(2026, 11, 1, 9), "average_market_price": D("12000.00")},
            {**lookup, "requested_at": datetime(2026, 11, 2, 9), "average_market_price": D("11800.00")},
        ],
    )
    return store
