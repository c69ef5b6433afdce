"""The serving aggregates in DuckDB SQL, over the curated Parquet Spark wrote: the benchmark's yardstick.

Each query mirrors its Spark function in ``etl.serve.aggregates`` (same joins, same decimal arithmetic).
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

LINES = """
    SELECT l.order_id, l.product_id, o.customer_id, CAST(o.order_date AS DATE) AS order_date,
           coalesce(o.ship_country, 'Unknown') AS country, CAST(l.quantity AS BIGINT) AS quantity,
           CAST(l.unit_price AS DECIMAL(12, 4)) * l.quantity AS gross,
           CAST(l.unit_price AS DECIMAL(12, 4)) * l.quantity * CAST(l.discount AS DECIMAL(6, 4)) AS discount_amount
    FROM order_lines AS l JOIN orders AS o USING (order_id)
"""

QUERIES = {
    "serving.daily_sales": f"""
        WITH lines AS ({LINES})
        SELECT order_date AS sales_date, product_id, country, p.product_name, p.category_id, p.category_name,
               count(DISTINCT order_id) AS orders, sum(quantity) AS units,
               CAST(sum(gross) AS DECIMAL(18, 2)) AS gross_revenue,
               CAST(sum(discount_amount) AS DECIMAL(18, 2)) AS discount_amount,
               CAST(sum(gross - discount_amount) AS DECIMAL(18, 2)) AS net_revenue
        FROM lines LEFT JOIN products AS p USING (product_id)
        GROUP BY ALL
    """,
    "serving.customer_lifetime_value": f"""
        WITH per_order AS (
            SELECT order_id, sum(quantity) AS units, sum(gross - discount_amount) AS net
            FROM ({LINES}) GROUP BY order_id),
        value AS (
            SELECT o.customer_id, min(CAST(o.order_date AS DATE)) AS first_order_date,
                   max(CAST(o.order_date AS DATE)) AS last_order_date, count(o.order_id) AS orders,
                   coalesce(sum(p.units), 0) AS units, coalesce(sum(p.net), 0) AS net
            FROM orders AS o LEFT JOIN per_order AS p USING (order_id)
            WHERE o.customer_id IS NOT NULL GROUP BY o.customer_id)
        SELECT v.customer_id, c.country, first_order_date, last_order_date, orders, units,
               CAST(net AS DECIMAL(18, 2)) AS lifetime_revenue,
               CAST(net / orders AS DECIMAL(18, 2)) AS average_order_value
        FROM value AS v LEFT JOIN customers AS c USING (customer_id)
    """,
    "serving.clickstream_funnel_daily": """
        SELECT CAST(event_time AS DATE) AS event_date, count(DISTINCT session_id) AS sessions,
               count(DISTINCT session_id) FILTER (WHERE event_type = 'page_view') AS page_view_sessions,
               count(DISTINCT session_id) FILTER (WHERE event_type = 'product_view') AS product_view_sessions,
               count(DISTINCT session_id) FILTER (WHERE event_type = 'add_to_cart') AS add_to_cart_sessions,
               count(DISTINCT session_id) FILTER (WHERE event_type = 'checkout') AS checkout_sessions,
               count(DISTINCT session_id) FILTER (WHERE event_type = 'purchase') AS purchase_sessions,
               count(*) AS events,
               CAST(CAST(count(DISTINCT session_id) FILTER (WHERE event_type = 'purchase') AS DECIMAL(18, 6))
                    / count(DISTINCT session_id) AS DECIMAL(9, 6)) AS conversion_rate
        FROM clickstream_events GROUP BY 1
    """,
    "serving.market_indicators_beside_sales": f"""
        WITH sales AS (
            SELECT order_date AS indicator_date, country, count(DISTINCT order_id) AS orders,
                   CAST(sum(gross - discount_amount) AS DECIMAL(18, 2)) AS net_revenue
            FROM ({LINES}) GROUP BY ALL),
        pivoted AS (
            SELECT CAST(indicator_date AS DATE) AS indicator_date, country,
                   any_value(CAST(value AS DECIMAL(18, 6))) FILTER (WHERE indicator = 'consumer_confidence')
                       AS consumer_confidence,
                   any_value(CAST(value AS DECIMAL(18, 6))) FILTER (WHERE indicator = 'freight_index')
                       AS freight_index,
                   any_value(CAST(value AS DECIMAL(18, 6))) FILTER (WHERE indicator = 'fx_usd') AS fx_usd,
                   any_value(CAST(value AS DECIMAL(18, 6))) FILTER (WHERE indicator = 'retail_sales_index')
                       AS retail_sales_index
            FROM market_indicators GROUP BY ALL)
        SELECT indicator_date, country, coalesce(orders, 0) AS orders,
               coalesce(net_revenue, 0) AS net_revenue, consumer_confidence, freight_index, fx_usd,
               retail_sales_index
        FROM sales FULL OUTER JOIN pivoted USING (indicator_date, country)
    """,
}


@dataclass(frozen=True)
class DuckDbRun:
    """Wall time of all the queries, row count and a checksum column total per table, and peak memory."""

    seconds: float
    rows: dict[str, int]
    totals: dict[str, str]
    peak_rss_bytes: int


CHECKSUM_COLUMN = {
    "serving.daily_sales": "net_revenue",
    "serving.customer_lifetime_value": "lifetime_revenue",
    "serving.clickstream_funnel_daily": "events",
    "serving.market_indicators_beside_sales": "net_revenue",
}


def run_duckdb_aggregates(curated_root: Path, threads: int = 2) -> DuckDbRun:
    """Compute every aggregate from ``curated_root/<dataset>/`` Parquet into DuckDB tables, timed."""
    connection = duckdb.connect()
    connection.execute(f"SET threads = {int(threads)}")
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET enable_progress_bar = false")
    for dataset in ("orders", "order_lines", "customers", "products", "clickstream_events", "market_indicators"):
        pattern = (curated_root / dataset / "**" / "*.parquet").as_posix()
        connection.execute(
            f"CREATE VIEW {dataset} AS SELECT * FROM read_parquet('{pattern}', hive_partitioning = true)"
        )
    started = time.perf_counter()
    for index, query in enumerate(QUERIES.values()):
        connection.execute(f"CREATE TABLE result_{index} AS {query}")
    seconds = time.perf_counter() - started
    rows, totals = {}, {}
    for index, table in enumerate(QUERIES):
        count, total = connection.execute(
            f"SELECT count(*), sum({CHECKSUM_COLUMN[table]}) FROM result_{index}"
        ).fetchone()
        rows[table], totals[table] = int(count), str(total)
    connection.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return DuckDbRun(seconds, rows, totals, peak)
