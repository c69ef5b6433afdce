"""The analytics API against a real PostgreSQL holding the serving schema."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from northwind_analytics.api import create_app
from northwind_analytics.database import Database
from northwind_analytics.settings import ServiceSettings

from etl.serve.migrate import apply_migrations
from tests.support.postgres import postgres_connection, postgres_database, postgres_server  # noqa: F401

SERVING_ROWS = """
INSERT INTO serving.daily_sales (sales_date, product_id, country, product_name, category_id, category_name,
  orders, units, gross_revenue, discount_amount, net_revenue) VALUES
  ('1997-01-02', 11, 'Germany', 'Queso Cabrales', 4, 'Dairy Products', 2, 30, 420.00, 0.00, 420.00),
  ('1997-01-02', 42, 'France', 'Singaporean Hokkien Fried Mee', 5, 'Grains/Cereals', 1, 10, 98.00, 9.80, 88.20),
  ('1997-01-03', 11, 'France', 'Queso Cabrales', 4, 'Dairy Products', 1, 5, 70.00, 0.00, 70.00),
  ('1997-02-01', 11, 'Germany', 'Queso Cabrales', 4, 'Dairy Products', 1, 1, 14.00, 0.00, 14.00);
INSERT INTO serving.customer_lifetime_value (customer_id, country, first_order_date, last_order_date, orders,
  units, lifetime_revenue, average_order_value) VALUES
  ('ALFKI', 'Germany', '1997-08-25', '1998-04-09', 6, 174, 4273.00, 712.17),
  ('VINET', 'France', '1996-07-04', '1998-05-06', 5, 125, 1480.00, 296.00);
INSERT INTO serving.clickstream_funnel_daily (event_date, sessions, page_view_sessions, product_view_sessions,
  add_to_cart_sessions, checkout_sessions, purchase_sessions, events, conversion_rate) VALUES
  ('1997-01-02', 100, 100, 60, 20, 10, 5, 420, 0.050000);
INSERT INTO serving.market_indicators_beside_sales (indicator_date, country, orders, net_revenue,
  consumer_confidence, freight_index, fx_usd, retail_sales_index) VALUES
  ('1997-01-02', 'France', 1, 88.20, 101.5, NULL, 1.08, NULL);
"""


@pytest.fixture
def serving_settings(postgres_database) -> ServiceSettings:  # noqa: F811
    """A fresh database with the serving schema (the ETL's own migrations) and a few known rows.

    The API logs in as its own role, ``analytics_service`` (the settings' default), which migration V004
    creates with read grants only: the routes are tested with the privileges they have in AWS.
    """
    import psycopg

    with psycopg.connect(postgres_database.conninfo(), autocommit=True) as connection:
        apply_migrations(connection)
        connection.execute(SERVING_ROWS)
    return ServiceSettings(
        db_host=postgres_database.host,
        db_port=postgres_database.port,
        db_name=postgres_database.dbname,
        db_sslmode="disable",
    )


@pytest.fixture
def client(serving_settings) -> TestClient:
    return TestClient(create_app(Database(serving_settings)))
