"""Each serving aggregate on tiny curated inputs; expected values are worked out by hand from those inputs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from etl.serve.aggregates import (
    clickstream_funnel_daily,
    customer_lifetime_value,
    daily_sales,
    latest_vehicle_valuations,
    market_indicators_beside_sales,
)

ORDERS_SCHEMA = "order_id int, customer_id string, order_date date, ship_country string"
LINES_SCHEMA = "order_id int, product_id int, unit_price decimal(10,2), quantity int, discount decimal(4,3)"


@pytest.fixture(scope="module")
def orders(spark):
    return spark.createDataFrame(
        [
            (1, "C1", date(1997, 1, 1), "Germany"),
            (2, "C1", date(1997, 1, 1), "France"),
            (3, "C2", date(1997, 1, 2), "Germany"),
            (4, "C2", date(1997, 1, 3), "Germany"),  # an order without lines
            (5, None, date(1997, 1, 3), None),  # no customer, no country
        ],
        ORDERS_SCHEMA,
    )


@pytest.fixture(scope="module")
def order_lines(spark):
    return spark.createDataFrame(
        [
            (1, 11, D("10.00"), 2, D("0")),  # gross 20.00, discount 0, net 20.00
            (1, 42, D("5.50"), 4, D("0.25")),  # gross 22.00, discount 5.50, net 16.50
            (2, 11, D("10.00"), 1, D("0.1")),  # gross 10.00, discount 1.00, net 9.00
            (3, 11, D("12.00"), 3, D("0.05")),  # gross 36.00, discount 1.80, net 34.20
            (5, 42, D("3.33"), 1, D("0.333")),  # gross 3.33, discount 1.10889 -> 1.11, net 2.22111 -> 2.22
            (99, 11, D("1.00"), 1, D("0")),  # its order is not curated
        ],
        LINES_SCHEMA,
    )


def _rows(frame, *order_by):
    return [tuple(row) for row in frame.orderBy(*order_by).collect()]


def test_daily_sales_sum_each_day_product_and_ship_country(spark, orders, order_lines):
    products = spark.createDataFrame(
        [(11, "Queso Cabrales", 4, "Dairy Products"), (42, "Singaporean Hokkien Fried Mee", 5, "Grains/Cereals")],
        "product_id int, product_name string, category_id int, category_name string",
    )

    result = daily_sales(orders, order_lines, products)

    assert _rows(result, "sales_date", "country", "product_id") == [
        (date(1997, 1, 1), 11, "France", "Queso Cabrales", 4, "Dairy Products", 1, 1, D("10.00"), D("1.00"), D("9.00")),
        (
            date(1997, 1, 1),
            11,
            "Germany",
            "Queso Cabrales",
            4,
            "Dairy Products",
            1,
            2,
            D("20.00"),
            D("0.00"),
            D("20.00"),
        ),
        (
            date(1997, 1, 1),
            42,
            "Germany",
            "Singaporean Hokkien Fried Mee",
            5,
            "Grains/Cereals",
            1,
            4,
            D("22.00"),
            D("5.50"),
            D("16.50"),
        ),
        (
            date(1997, 1, 2),
            11,
            "Germany",
            "Queso Cabrales",
            4,
            "Dairy Products",
            1,
            3,
            D("36.00"),
            D("1.80"),
            D("34.20"),
        ),
        (
            date(1997, 1, 3),
            42,
            "Unknown",
            "Singaporean Hokkien Fried Mee",
            5,
            "Grains/Cereals",
            1,
            1,
            D("3.33"),
            D("1.11"),
            D("2.22"),
        ),
    ]


def test_customer_lifetime_value_counts_orders_without_lines_and_skips_orders_without_customer(
    spark, orders, order_lines
):
    customers = spark.createDataFrame([("C1", "Germany")], "customer_id string, country string")

    result = customer_lifetime_value(orders, order_lines, customers)

    # C1: orders 1 and 2, units 2+4+1, net 20.00+16.50+9.00 = 45.50, average 22.75.
    # C2: orders 3 and 4 (no lines), units 3, net 34.20, average 17.10; not in customers, so no country.
    assert _rows(result, "customer_id") == [
        ("C1", "Germany", date(1997, 1, 1), date(1997, 1, 1), 2, 7, D("45.50"), D("22.75")),
        ("C2", None, date(1997, 1, 2), date(1997, 1, 3), 2, 3, D("34.20"), D("17.10")),
    ]


def test_funnel_counts_sessions_reaching_each_stage_per_day_and_the_conversion_rate(spark):
    def at(day: int, minute: int) -> datetime:
        return datetime(1998, 5, day, 10, minute)

    events = spark.createDataFrame(
        [
            ("s1", "page_view", at(1, 0)),
            ("s1", "product_view", at(1, 1)),
            ("s1", "add_to_cart", at(1, 2)),
            ("s1", "checkout", at(1, 3)),
            ("s1", "purchase", at(1, 4)),
            ("s2", "page_view", at(1, 5)),
            ("s2", "page_view", at(1, 6)),
            ("s2", "product_view", at(1, 7)),
            ("s3", "page_view", at(2, 0)),
        ],
        "session_id string, event_type string, event_time timestamp",
    )

    result = clickstream_funnel_daily(events)

    # 1 May: 2 sessions, both viewed pages and products, s1 went on to purchase: 1/2 converted, 8 events.
    assert _rows(result, "event_date") == [
        (date(1998, 5, 1), 2, 2, 2, 1, 1, 1, 8, D("0.500000")),
        (date(1998, 5, 2), 1, 1, 0, 0, 0, 0, 1, D("0.000000")),
    ]


def test_funnel_counts_events_without_a_session_as_events_but_not_as_sessions(spark):
    at = datetime(1998, 5, 1, 10, 0)
    events = spark.createDataFrame(
        [("s1", "page_view", at), (None, "page_view", at), (None, "purchase", at), ("s1", None, at)],
        "session_id string, event_type string, event_time timestamp",
    )

    result = clickstream_funnel_daily(events)

    # One session (s1), which viewed a page and did not buy; all 4 events count.
    assert _rows(result, "event_date") == [(date(1998, 5, 1), 1, 1, 0, 0, 0, 0, 4, D("0.000000"))]


def test_market_indicators_sit_beside_sales_of_the_same_day_and_country(spark, orders, order_lines):
    indicators = spark.createDataFrame(
        [
            (date(1997, 1, 1), "Germany", "consumer_confidence", D("101.5")),
            (date(1997, 1, 1), "Germany", "fx_usd", D("0.55")),
            (date(1997, 1, 4), "Spain", "freight_index", D("1500")),
        ],
        "indicator_date date, country string, indicator string, value decimal(18,6)",
    )

    result = market_indicators_beside_sales(orders, order_lines, indicators)

    # Germany on 1 Jan: order 1 only (order 2 shipped to France), net 20.00 + 16.50.
    assert _rows(result, "indicator_date", "country") == [
        (date(1997, 1, 1), "France", 1, D("9.00"), None, None, None, None),
        (date(1997, 1, 1), "Germany", 1, D("36.50"), D("101.500000"), None, D("0.550000"), None),
        (date(1997, 1, 2), "Germany", 1, D("34.20"), None, None, None, None),
        (date(1997, 1, 3), "Unknown", 1, D("2.22"), None, None, None, None),
        (date(1997, 1, 4), "Spain", 0, D("0.00"), None, D("1500.000000"), None, None),
    ]


def test_latest_valuation_per_plate_and_state_wins_and_ties_settle_the_same_way_every_time(spark):
    early, late = datetime(2026, 11, 1, 9), datetime(2026, 11, 2, 9)
    valuations = spark.createDataFrame(
        [
            ("a", "CA", early, 1000),
            ("a", "CA", late, 1200),
            ("a", "NV", early, 900),
            ("c", "CA", early, 800),
            ("c", "CA", early, 700),
        ],
        "plate_sha256 string, state_code string, requested_at timestamp, average_market_price int",
    )

    result = latest_vehicle_valuations(valuations)

    assert _rows(result, "plate_sha256", "state_code") == [
        ("a", "CA", late, 1200),
        ("a", "NV", early, 900),
        ("c", "CA", early, 700),
    ]
