"""values_where collects the values whose condition holds, in order, and gives a typed empty array otherwise."""

from __future__ import annotations

from pyspark.sql import functions as F

from etl.curate.expressions import values_where


def _collected(spark, expression):
    rows = (
        spark.createDataFrame(
            [(1, 5, "a"), (2, -1, None), (3, 50, "c"), (4, None, "d")],
            "id int, amount int, label string",
        )
        .select("id", expression.alias("chosen"))
        .orderBy("id")
        .collect()
    )
    return {row.id: row.chosen for row in rows}


def test_values_where_keeps_the_values_whose_condition_holds_in_item_order(spark):
    amount, label = F.col("amount"), F.col("label")
    chosen = values_where(
        [(amount > 10, F.lit("large")), (label.isNull(), F.lit("unlabelled")), (amount < 0, F.lit("negative"))],
        "string",
    )

    assert _collected(spark, chosen) == {1: [], 2: ["unlabelled", "negative"], 3: ["large"], 4: []}


def test_values_where_treats_a_null_condition_as_not_holding(spark):
    chosen = values_where([(F.col("amount") > 10, F.col("id"))], "int")

    assert _collected(spark, chosen)[4] == []


def test_values_where_without_items_is_a_typed_empty_array(spark):
    frame = spark.range(2).select(values_where([], "bigint").alias("chosen"))

    assert frame.schema["chosen"].dataType.simpleString() == "array<bigint>"
    assert [row.chosen for row in frame.collect()] == [[], []]


def test_values_where_types_the_array_when_no_row_has_a_value(spark):
    chosen = values_where([(F.lit(False), F.lit("never"))], "string")
    frame = spark.range(1).select(chosen.alias("chosen"))

    assert frame.schema["chosen"].dataType.simpleString() == "array<string>"
    assert frame.first().chosen == []
