"""Catalog API pages (``{"items": [...], "page": n, ...}``), one JSON file per page, exploded to one row per item.

A page that is not valid JSON (or not valid UTF-8) cannot be split into items, so it becomes one quarantined
record carrying the whole page as its raw value.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.contracts import DataContract
from etl.curate.readers.common import ENCODING, MALFORMED_JSON, invalid_utf8
from etl.curate.readers.json_lines import RAW_OBJECT, object_columns

PAGE = T.StructType([T.StructField("items", T.ArrayType(RAW_OBJECT))])


def read_json_pages(spark: SparkSession, contract: DataContract, paths: Sequence[str]) -> DataFrame:
    """One row per item of the page files at ``paths``, or one row per unreadable page."""
    pages = spark.read.text(list(paths), wholetext=True).select(
        F.col("value"), F.from_json("value", PAGE).alias("page")
    )
    page_error = F.when(invalid_utf8(F.col("value")), F.lit(ENCODING)).when(
        F.col("page.items").isNull(), F.lit(MALFORMED_JSON)
    )
    items = pages.select(
        F.col("value"),
        page_error.alias("page_error"),
        F.explode(
            F.when(page_error.isNull(), F.col("page.items")).otherwise(F.array(F.lit(None).cast(RAW_OBJECT)))
        ).alias("item"),
    )
    raw_record = F.when(F.col("page_error").isNull(), F.to_json("item")).otherwise(F.col("value"))
    return items.select(object_columns(contract, F.col("item"), raw_record, F.col("page_error")))
