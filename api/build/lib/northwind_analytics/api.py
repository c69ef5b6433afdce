"""HTTP routes of the analytics API (``uvicorn northwind_analytics.api:app``).

Every route reads the serving schema that ``etl/serve`` loads; dates are inclusive ranges and every list
is bounded by ``limit``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import psycopg
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from northwind_analytics.database import Database, rds_token_signer
from northwind_analytics.settings import ServiceSettings

MAX_ROWS = 1000


class DailySales(BaseModel):
    sales_date: date
    product_id: int
    product_name: str | None
    category_name: str | None
    country: str
    orders: int
    units: int
    net_revenue: Decimal


class CountrySales(BaseModel):
    country: str
    orders: int
    units: int
    net_revenue: Decimal


class CustomerValue(BaseModel):
    customer_id: str
    country: str | None
    first_order_date: date
    last_order_date: date
    orders: int
    lifetime_revenue: Decimal
    average_order_value: Decimal


class FunnelDay(BaseModel):
    event_date: date
    sessions: int
    product_view_sessions: int
    add_to_cart_sessions: int
    checkout_sessions: int
    purchase_sessions: int
    conversion_rate: Decimal


class MarketDay(BaseModel):
    indicator_date: date
    country: str
    orders: int
    net_revenue: Decimal
    consumer_confidence: Decimal | None
    freight_index: Decimal | None
    fx_usd: Decimal | None
    retail_sales_index: Decimal | None


class DateRange(BaseModel):
    start: date
    end: date


def date_range(
    start: Annotated[date, Query(description="First day, inclusive (YYYY-MM-DD)")],
    end: Annotated[date, Query(description="Last day, inclusive (YYYY-MM-DD)")],
) -> DateRange:
    if end < start:
        raise HTTPException(400, f"end ({end}) is before start ({start}); give an inclusive range start <= end")
    if (end - start).days > 3660:
        raise HTTPException(400, "the range is longer than ten years; narrow start and end")
    return DateRange(start=start, end=end)


Limit = Annotated[int, Query(ge=1, le=MAX_ROWS, description=f"At most {MAX_ROWS} rows")]


def create_app(database: Database) -> FastAPI:
    """The application, bound to one serving database."""
    app = FastAPI(title="Northwind analytics API", version="0.1.0")

    def rows(sql: str, params: dict) -> list[dict]:
        with database.connect() as connection:
            return connection.execute(sql, params).fetchall()

    @app.exception_handler(psycopg.OperationalError)
    async def database_unavailable(_request: Request, _error: psycopg.OperationalError) -> JSONResponse:
        # Connection details stay in the server log; callers learn only that the database is unavailable.
        return JSONResponse({"detail": "the serving database is unavailable; retry shortly"}, status_code=503)

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness for the load balancer: the process serves requests (the database is checked separately,
        so a database outage does not take every instance out of the target group at once)."""
        return {"status": "ok"}

    @app.get("/health/database")
    def database_health() -> dict[str, str]:
        """Readiness of the serving database: 200 when a query succeeds, 503 otherwise."""
        rows("SELECT 1 AS ok", {})
        return {"status": "ok"}

    @app.get("/v1/sales/daily", response_model=list[DailySales])
    def daily_sales(
        period: Annotated[DateRange, Depends(date_range)],
        limit: Limit = 100,
        country: str | None = None,
        product_id: int | None = None,
    ) -> list[dict]:
        """Daily sales per product and country, newest first."""
        return rows(
            """SELECT sales_date, product_id, product_name, category_name, country, orders, units, net_revenue
               FROM serving.daily_sales
               WHERE sales_date BETWEEN %(start)s AND %(end)s
                 AND (%(country)s::text IS NULL OR country = %(country)s)
                 AND (%(product_id)s::int IS NULL OR product_id = %(product_id)s)
               ORDER BY sales_date DESC, net_revenue DESC, product_id, country
               LIMIT %(limit)s""",
            {**period.model_dump(), "country": country, "product_id": product_id, "limit": limit},
        )

    @app.get("/v1/sales/by-country", response_model=list[CountrySales])
    def sales_by_country(period: Annotated[DateRange, Depends(date_range)]) -> list[dict]:
        """Sales totals per country over the range, largest first."""
        return rows(
            """SELECT country, SUM(orders)::bigint AS orders, SUM(units)::bigint AS units,
                      SUM(net_revenue) AS net_revenue
               FROM serving.daily_sales
               WHERE sales_date BETWEEN %(start)s AND %(end)s
               GROUP BY country ORDER BY net_revenue DESC, country""",
            period.model_dump(),
        )

    @app.get("/v1/customers/lifetime-value", response_model=list[CustomerValue])
    def top_customers(limit: Limit = 20, country: str | None = None) -> list[dict]:
        """Customers by lifetime revenue, highest first."""
        return rows(
            """SELECT customer_id, country, first_order_date, last_order_date, orders, lifetime_revenue,
                      average_order_value
               FROM serving.customer_lifetime_value
               WHERE (%(country)s::text IS NULL OR country = %(country)s)
               ORDER BY lifetime_revenue DESC, customer_id LIMIT %(limit)s""",
            {"country": country, "limit": limit},
        )

    @app.get("/v1/customers/{customer_id}/lifetime-value", response_model=CustomerValue)
    def customer_value(customer_id: str) -> dict:
        """One customer's lifetime value; 404 names the customer when there is none."""
        found = rows(
            """SELECT customer_id, country, first_order_date, last_order_date, orders, lifetime_revenue,
                      average_order_value
               FROM serving.customer_lifetime_value WHERE customer_id = %(customer_id)s""",
            {"customer_id": customer_id},
        )
        if not found:
            raise HTTPException(404, f"no lifetime value for customer {customer_id!r}")
        return found[0]

    @app.get("/v1/funnel/daily", response_model=list[FunnelDay])
    def funnel(period: Annotated[DateRange, Depends(date_range)]) -> list[dict]:
        """The clickstream funnel and conversion per day."""
        return rows(
            """SELECT event_date, sessions, product_view_sessions, add_to_cart_sessions, checkout_sessions,
                      purchase_sessions, conversion_rate
               FROM serving.clickstream_funnel_daily
               WHERE event_date BETWEEN %(start)s AND %(end)s ORDER BY event_date""",
            period.model_dump(),
        )

    @app.get("/v1/market/{country}", response_model=list[MarketDay])
    def market(country: str, period: Annotated[DateRange, Depends(date_range)]) -> list[dict]:
        """Market indicators beside the country's daily sales."""
        return rows(
            """SELECT indicator_date, country, orders, net_revenue, consumer_confidence, freight_index, fx_usd,
                      retail_sales_index
               FROM serving.market_indicators_beside_sales
               WHERE country = %(country)s AND indicator_date BETWEEN %(start)s AND %(end)s
               ORDER BY indicator_date""",
            {**period.model_dump(), "country": country},
        )

    return app


def _app_from_environment() -> FastAPI:
    settings = ServiceSettings.from_environment()
    signer = rds_token_signer(settings) if settings.db_iam_auth else None
    return create_app(Database(settings, sign_token=signer))


def __getattr__(name: str) -> FastAPI:
    # ``northwind_analytics.api:app`` is built on first access, so importing the module needs no settings.
    if name == "app":
        return _app_from_environment()
    raise AttributeError(name)
