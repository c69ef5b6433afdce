"""What the routes answer: one model per serving row, pages of them, and the health reports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from northwind_analytics.cache import CacheState
from northwind_analytics.database import PoolState

Row = TypeVar("Row", bound=BaseModel)


class Page(BaseModel, Generic[Row]):
    """One page of a list; ``next_cursor`` fetches the next (absent on the last page)."""

    items: list[Row]
    next_cursor: str | None = Field(description="Pass as `cursor` with the same filters for the next page")


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
    customer_id: str = Field(description="The customer's pseudonym (the same in every dataset)")
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


class VehicleValuation(BaseModel):
    """The latest valuation of one plate (its pseudonym) in one state; valuation fields may be empty."""

    plate_sha256: str = Field(description="The plate's pseudonym")
    state_code: str
    requested_at: datetime
    requested_date: date
    vehicle: str | None
    mileage: int | None
    average_market_price: Decimal | None
    standard_deviation: Decimal | None
    sample_count: int | None
    statistical_confidence: float | None
    market_price_below: Decimal | None
    market_price_average: Decimal | None
    market_price_above: Decimal | None
    sales_period_start: date | None
    sales_period_end: date | None


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    """Whether this process can answer from the database, its connection pool and its response cache now."""

    status: Literal["ok", "unavailable"]
    pool: PoolState
    response_cache: CacheState
