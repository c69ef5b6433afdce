"""The plans PostgreSQL keeps for the routes' prepared statements.

psycopg prepares a statement once it ran five times on a connection, and PostgreSQL then settles on a generic
plan, made without the parameters' values. So a page query must be fast with any values: the first page of a
list reads its first rows from an index instead of reading and sorting every row of the range.
"""

from __future__ import annotations

import json
import re

import psycopg
import pytest
from northwind_analytics import queries

from etl.serve.migrate import apply_migrations

SALES_FILTERS = {"start": "1996-07-01", "end": "1998-06-30", "country": None, "product_id": None}


def generic_plan(connection: psycopg.Connection, query: queries.Query) -> dict:
    """The plan PostgreSQL uses for ``query`` once it is prepared and planned generically, as EXPLAIN shows it."""
    order: list[str] = []

    def placeholder(match: re.Match) -> str:
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"

    sql = re.sub(r"%\((\w+)\)s", placeholder, query.sql)
    connection.execute("SET plan_cache_mode = force_generic_plan")
    connection.execute(f"PREPARE page AS {sql}")
    arguments = ", ".join("NULL" if query.params[name] is None else f"'{query.params[name]}'" for name in order)
    (row,) = connection.execute(f"EXPLAIN (FORMAT JSON) EXECUTE page({arguments})").fetchall()
    connection.execute("DEALLOCATE page")
    return row[0][0]["Plan"]


def node_types(plan: dict) -> list[str]:
    return [plan["Node Type"], *(kind for child in plan.get("Plans", ()) for kind in node_types(child))]


@pytest.fixture
def daily_sales(postgres_database):
    """About the sample's daily sales: some 2,100 rows over two years, each day a few of 77 products in a few of
    21 countries, stored in no particular order (as the serving load's upserts leave them), with statistics."""
    with psycopg.connect(postgres_database.conninfo(), autocommit=True) as connection:
        apply_migrations(connection)
        connection.execute(
            """INSERT INTO serving.daily_sales (sales_date, product_id, country, product_name, category_id,
                 category_name, orders, units, gross_revenue, discount_amount, net_revenue)
               SELECT day::date, product, 'country ' || country, 'product', 1, 'category', 1, 2, 20.00, 0.00, 20.00
               FROM generate_series('1996-07-01'::date, '1998-06-30'::date, interval '1 day') AS day,
                    generate_series(1, 77) AS product,
                    generate_series(1, 21) AS country
               WHERE abs(hashtext(day::text || product || '/' || country)) % 550 = 0
               ORDER BY md5(day::text || product || '/' || country)"""
        )
        connection.execute("ANALYZE serving.daily_sales")
        yield connection


def test_the_first_page_of_daily_sales_reads_the_index_in_the_generic_plan_when_no_optional_filter_is_given(
    daily_sales,
):
    plan = generic_plan(daily_sales, queries.DAILY_SALES.page(SALES_FILTERS, None, 100))

    assert "Sort" not in node_types(plan), json.dumps(plan, indent=1)
    assert "Index Scan" in node_types(plan)


def test_a_given_optional_filter_is_in_the_sql_and_one_not_given_is_not():
    filters = {**SALES_FILTERS, "country": "France"}

    query = queries.DAILY_SALES.page(filters, None, 100)

    assert "country = %(country)s" in query.sql
    assert "product_id =" not in query.sql and "IS NULL" not in query.sql
    last_row = {"sales_date": "1997-01-02", "product_id": 11, "country": "France"}
    cursor = queries.DAILY_SALES.cursor(filters, last_row)
    after = queries.DAILY_SALES.page(filters, queries.DAILY_SALES.after(cursor, filters), 100)
    assert "WHERE country = %(country)s AND (sales_date, product_id, country) <" in after.sql
