"""Catalog API pages (``{"items": [...], "page": n, ...}``), one JSON file per page, exploded to one row per item.

A page that is not valid JSON cannot be split into items, so it becomes one quarantined record carrying the
whole page as its raw value and standing for every item landing counted in it. A page landing found not to be in
the contract's declared encoding is quarantined whole as ``encoding``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.contracts import DataContract
from etl.curate.columns import SOURCE_FILE
from etl.curate.deliveries import DeliveredFile
from etl.curate.readers.common import ENCODING, MALFORMED_JSON, file_rows, source_file, whole_file_problem
from etl.curate.readers.json_lines import RAW_OBJECT, object_columns

PAGE = T.StructType([T.StructField("items", T.ArrayType(RAW_OBJECT))])


def read_json_pages(
    spark: SparkSession, contract: DataContract, files: Mapping[str, DeliveredFile], paths: Sequence[str]
) -> DataFrame:
    """One row per item of the page files at ``paths``, or one row per unreadable page."""
    pages = spark.read.text(list(paths), wholetext=True).select(
        source_file(contract.dataset).alias(SOURCE_FILE), F.col("value"), F.from_json("value", PAGE).alias("page")
    )
    page_error = F.when(whole_file_problem(files, ENCODING), F.lit(ENCODING)).when(
        F.col("page.items").isNull(), F.lit(MALFORMED_JSON)
    )
    items = pages.select(
        SOURCE_FILE,
        F.col("value"),
        page_error.alias("page_error"),
        F.explode(
            F.when(page_error.isNull(), F.col("page.items")).otherwise(F.array(F.lit(None).cast(RAW_OBJECT)))
        ).alias("item"),
    )
    raw_record = F.when(F.col("page_error").isNull(), F.to_json("item")).otherwise(F.col("value"))
    rows = F.when(F.col("page_error").isNull(), F.lit(1)).otherwise(file_rows(files))
    return items.select(
        object_columns(contract, F.col("item"), raw_record, F.col("page_error"), source=F.col(SOURCE_FILE), rows=rows)
    )
