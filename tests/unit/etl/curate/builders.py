"""Tiny contracts and raw batches built in memory for the curation and quality tests."""

from __future__ import annotations

from decimal import Decimal

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from etl.contracts import Classification, ContractField, DataContract, LogicalType, RawFormat
from etl.curate.columns import DELIVERY, POSITION
from etl.curate.readers.common import full_mask, raw_schema


def field(name: str, logical: LogicalType, spark_type: str | None = None, **options) -> ContractField:
    values = {
        "name": name,
        "source_name": options.pop("source_name", name),
        "logical_type": logical,
        "spark_type": spark_type or logical.value,
        "required": False,
        "unique": False,
        "primary_key": False,
        "classification": Classification.INTERNAL,
        "is_pii": False,
        "description": name,
    }
    values.update(options)
    return ContractField(**values)


def widget_contract(**overrides) -> DataContract:
    """A contract with one field per rule kind: key, pattern, range, enum, date format, timestamp, derived date;
    the date and the timestamp may not be after the run date."""
    fields = (
        field(
            "widget_id", LogicalType.INTEGER, "int", required=True, unique=True, primary_key=True, minimum=Decimal(1)
        ),
        field("label", LogicalType.STRING, required=True, pattern=r"^[A-Z]"),
        field("price", LogicalType.NUMBER, "decimal(10,2)", minimum=Decimal(0), maximum=Decimal(100)),
        field("kind", LogicalType.STRING, allowed_values=("a", "b")),
        field("made_on", LogicalType.DATE, raw_format="yyyy-MM-dd", not_after_run_date=True),
        field("seen_at", LogicalType.TIMESTAMP, minimum="2000-01-01T00:00:00Z", not_after_run_date=True),
        field("serial", LogicalType.STRING, unique=True),
        field("owner", LogicalType.STRING, is_pii=True),
        field("seen_date", LogicalType.DATE, derived_from="seen_at"),
    )
    values = {
        "dataset": "widgets",
        "version": "1.0.0",
        "owner": "data-engineering",
        "description": "Widgets for tests.",
        "classification": Classification.INTERNAL,
        "fields": fields,
        "primary_key": ("widget_id",),
        "freshness_sla_hours": 24.0,
        "delivery_schedule": "daily",
        "partition_by": ("seen_date",),
        "raw_format": RawFormat.CSV,
    }
    values.update(overrides)
    return DataContract(**values)


def raw_batch(
    spark: SparkSession,
    contract: DataContract,
    rows: list[dict[str, str | None]],
    source_file: str = "raw/widgets/date=2026-11-29/widgets.csv",
) -> DataFrame:
    """Reader-shaped rows, each with its landing order (``_delivery``, default 0) and its place in the batch: each
    dict maps field names to raw strings (missing keys are null)."""
    names = [f.name for f in contract.source_fields]
    records = [
        (
            row.get("_source_file", source_file),
            ",".join(str(row.get(name) or "") for name in names),
            row.get("_read_error"),
            *(row.get(name) for name in names),
            full_mask(contract),
            [],
            row.get("_type_mismatch", []),
            1,
            row.get("_delivery", 0),
            position,
        )
        for position, row in enumerate(rows)
    ]
    schema = raw_schema(contract)
    schema = T.StructType(
        [*schema.fields, T.StructField(DELIVERY, T.IntegerType()), T.StructField(POSITION, T.LongType())]
    )
    return spark.createDataFrame(records, schema)
