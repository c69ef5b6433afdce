"""The serving aggregates: pure DataFrame -> DataFrame functions over the curated datasets.

Column names are the contracts' curated names (``etl/contracts/*.yaml``). Money is summed as decimals, so the
same curated data always gives exactly the same aggregates (a re-run upserts nothing).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType

MONEY = DecimalType(18, 2)
RATE = DecimalType(9, 6)
INDICATOR_VALUE = DecimalType(18, 6)
FUNNEL_STAGES = ("page_view", "product_view", "add_to_cart", "checkout", "purchase")
INDICATORS = ("consumer_confidence", "freight_index", "fx_usd", "retail_sales_index")
UNKNOWN_COUNTRY = "Unknown"


def _money(column: Column) -> Column:
    return column.cast(MONEY)


def order_line_revenue(orders: DataFrame, order_lines: DataFrame) -> DataFrame:
    """Each order line with its order's date, customer and ship country, and its gross, discount and net
    amounts (exact decimals). Lines of orders that are not curated have no date or country and are left out."""
    price = F.col("unit_price").cast(DecimalType(12, 4))
    discount = F.col("discount").cast(DecimalType(6, 4))
    gross = price * F.col("quantity")
    return order_lines.join(
        orders.select(
            "order_id",
            "customer_id",
            F.col("order_date").cast("date").alias("order_date"),
            F.coalesce(F.col("ship_country"), F.lit(UNKNOWN_COUNTRY)).alias("country"),
        ),
        on="order_id",
        how="inner",
    ).select(
        "order_id",
        "product_id",
        "customer_id",
        "order_date",
        "country",
        F.col("quantity").cast("long").alias("quantity"),
        gross.alias("gross"),
        (gross * discount).alias("discount_amount"),
        (gross - gross * discount).alias("net"),
    )


def daily_sales(orders: DataFrame, order_lines: DataFrame, products: DataFrame) -> DataFrame:
    """Sales per day, product and ship country, with the product's name and category for roll-ups."""
    lines = order_line_revenue(orders, order_lines)
    sales = lines.groupBy(F.col("order_date").alias("sales_date"), "product_id", "country").agg(
        F.countDistinct("order_id").alias("orders"),
        F.sum("quantity").alias("units"),
        _money(F.sum("gross")).alias("gross_revenue"),
        _money(F.sum("discount_amount")).alias("discount_amount"),
        _money(F.sum("net")).alias("net_revenue"),
    )
    catalog = products.select("product_id", "product_name", "category_id", "category_name")
    return sales.join(catalog, on="product_id", how="left").select(
        "sales_date",
        "product_id",
        "country",
        "product_name",
        F.col("category_id").cast("int").alias("category_id"),
        "category_name",
        "orders",
        "units",
        "gross_revenue",
        "discount_amount",
        "net_revenue",
    )


def customer_lifetime_value(orders: DataFrame, order_lines: DataFrame, customers: DataFrame) -> DataFrame:
    """Per customer: first and last order, orders, units, net revenue and average order value.

    Orders without lines count as orders with no revenue; orders without a customer belong to nobody's value.
    """
    known = orders.where(F.col("customer_id").isNotNull())
    per_order = (
        order_line_revenue(known, order_lines)
        .groupBy("order_id")
        .agg(F.sum("quantity").alias("units"), F.sum("net").alias("net"))
    )
    value = (
        known.select("order_id", "customer_id", F.col("order_date").cast("date").alias("order_date"))
        .join(per_order, on="order_id", how="left")
        .groupBy("customer_id")
        .agg(
            F.min("order_date").alias("first_order_date"),
            F.max("order_date").alias("last_order_date"),
            F.count("order_id").alias("orders"),
            F.coalesce(F.sum("units"), F.lit(0)).cast("long").alias("units"),
            F.coalesce(F.sum("net"), F.lit(0)).alias("net"),
        )
    )
    return value.join(customers.select("customer_id", "country"), on="customer_id", how="left").select(
        "customer_id",
        "country",
        "first_order_date",
        "last_order_date",
        "orders",
        "units",
        _money(F.col("net")).alias("lifetime_revenue"),
        _money(F.col("net") / F.col("orders")).alias("average_order_value"),
    )


def clickstream_funnel_daily(events: DataFrame) -> DataFrame:
    """Per day: sessions, sessions reaching each funnel stage, events, and the session conversion rate."""
    # One row per day and session first, each stage a flag: several distinct counts in one aggregation would
    # make Spark copy every event once per count.
    per_session = events.groupBy(F.col("event_time").cast("date").alias("event_date"), "session_id").agg(
        F.count("*").alias("events"),
        *(F.max(F.col("event_type") == stage).alias(f"reached_{stage}") for stage in FUNNEL_STAGES),
    )
    session = F.col("session_id").isNotNull()
    stage_sessions = [
        F.count(F.when(session & F.col(f"reached_{stage}"), 1)).alias(f"{stage}_sessions") for stage in FUNNEL_STAGES
    ]
    return (
        per_session.groupBy("event_date")
        .agg(F.count("session_id").alias("sessions"), *stage_sessions, F.sum("events").alias("events"))
        .select(
            "event_date",
            "sessions",
            *[f"{stage}_sessions" for stage in FUNNEL_STAGES],
            "events",
            (F.col("purchase_sessions").cast(DecimalType(18, 6)) / F.col("sessions"))
            .cast(RATE)
            .alias("conversion_rate"),
        )
    )


def market_indicators_beside_sales(orders: DataFrame, order_lines: DataFrame, indicators: DataFrame) -> DataFrame:
    """Per day and country: orders and net revenue beside the four market indicators (either side may be
    missing for a day)."""
    sales = (
        order_line_revenue(orders, order_lines)
        .groupBy(F.col("order_date").alias("indicator_date"), "country")
        .agg(F.countDistinct("order_id").alias("orders"), _money(F.sum("net")).alias("net_revenue"))
    )
    pivoted = (
        indicators.select(
            F.col("indicator_date").cast("date").alias("indicator_date"),
            "country",
            "indicator",
            F.col("value").cast(INDICATOR_VALUE).alias("value"),
        )
        .groupBy("indicator_date", "country")
        .pivot("indicator", list(INDICATORS))
        .agg(F.first("value"))
    )
    return sales.join(pivoted, on=["indicator_date", "country"], how="full_outer").select(
        "indicator_date",
        "country",
        F.coalesce(F.col("orders"), F.lit(0)).alias("orders"),
        F.coalesce(F.col("net_revenue"), F.lit(0).cast(MONEY)).alias("net_revenue"),
        *INDICATORS,
    )


def latest_vehicle_valuations(valuations: DataFrame) -> DataFrame:
    """The most recent valuation per plate hash and state; equal request times are settled by the other
    columns, so the choice is the same on every run."""
    others = [F.col(name).asc_nulls_last() for name in valuations.columns if name != "requested_at"]
    latest_first = Window.partitionBy("plate_sha256", "state_code").orderBy(
        F.col("requested_at").desc_nulls_last(), *others
    )
    return valuations.withColumn("_rank", F.row_number().over(latest_first)).where(F.col("_rank") == 1).drop("_rank")
