"""The SQL behind every route, and keyset paging over it.

Each list is ordered by a unique key and paged by that key (keyset, "seek" paging): a page's cursor names the
last key it returned and the filters it was asked with, and the next page starts after that key. Rows inserted
or removed between two requests never shift the following page, as an offset would. The benchmark runs the
same SQL with pgbench, so the two cannot drift apart.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter, ValidationError

from northwind_analytics.errors import BadRequest

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,512}$"


@dataclass(frozen=True)
class Query:
    """SQL with psycopg named parameters, and their values."""

    sql: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Listing:
    """A list route's query: ``select`` (``%(name)s`` filters, no ORDER BY or LIMIT), paged by ``key``.

    ``key`` is a unique key of the rows, with its Python types; the rows come in ascending key order, or
    descending when ``descending``. ``optional`` names columns of ``select`` a caller may filter on by
    equality: each is in the SQL only when its filter is given. Written as ``(%(x)s IS NULL OR x = %(x)s)``
    instead, the generic plan PostgreSQL keeps for a prepared statement after a few executions cannot drop the
    test, and reads and sorts every row of the range instead of reading the first page from the index.
    """

    name: str
    select: str
    key: tuple[tuple[str, type], ...]
    descending: bool = False
    optional: tuple[str, ...] = ()

    def page(self, filters: dict[str, Any], after: tuple | None, limit: int) -> Query:
        """The query of one page: ``limit`` rows (plus one, to tell whether another page follows) after the
        key ``after`` (from the previous page's cursor), or from the first row."""
        columns = ", ".join(name for name, _ in self.key)
        direction = "DESC" if self.descending else "ASC"
        params = {**filters, "page_rows": limit + 1}
        conditions = [f"{name} = %({name})s" for name in self.optional if filters.get(name) is not None]
        if after is not None:
            placeholders = ", ".join(f"%(after_{name})s" for name, _ in self.key)
            conditions.append(f"({columns}) {'<' if self.descending else '>'} ({placeholders})")
            params.update({f"after_{name}": value for (name, _), value in zip(self.key, after, strict=True)})
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        order = ", ".join(f"{name} {direction}" for name, _ in self.key)
        sql = f"SELECT * FROM ({self.select}) AS listing {where} ORDER BY {order} LIMIT %(page_rows)s"
        return Query(" ".join(sql.split()), params)

    def cursor(self, filters: dict[str, Any], row: dict[str, Any]) -> str:
        """The opaque cursor of the page after ``row`` for the same ``filters``."""
        document = [self.name, _fingerprint(filters), [_jsonable(row[name]) for name, _ in self.key]]
        return base64.urlsafe_b64encode(json.dumps(document, separators=(",", ":")).encode()).decode().rstrip("=")

    def after(self, cursor: str | None, filters: dict[str, Any]) -> tuple | None:
        """The key a ``cursor`` of this listing and these ``filters`` names; 400 for any other cursor."""
        if cursor is None:
            return None
        try:
            name, fingerprint, values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (binascii.Error, ValueError, TypeError):
            raise BadRequest("the cursor is not one this API issued; use next_cursor as returned") from None
        if name != self.name or fingerprint != _fingerprint(filters):
            raise BadRequest("the cursor belongs to another query; repeat the same filters, or start without it")
        try:
            return TypeAdapter(tuple[tuple(kind for _, kind in self.key)]).validate_python(tuple(values))
        except (ValidationError, TypeError):
            raise BadRequest("the cursor is damaged; use next_cursor as returned") from None


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, date | Decimal) else value


def _fingerprint(filters: dict[str, Any]) -> str:
    text = json.dumps({key: _jsonable(value) for key, value in sorted(filters.items())}, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


DAILY_SALES = Listing(
    "daily_sales",
    """SELECT sales_date, product_id, product_name, category_name, country, orders, units, net_revenue
       FROM serving.daily_sales
       WHERE sales_date BETWEEN %(start)s AND %(end)s""",
    (("sales_date", date), ("product_id", int), ("country", str)),
    descending=True,
    optional=("country", "product_id"),
)

SALES_BY_COUNTRY = Listing(
    "sales_by_country",
    """SELECT country, SUM(orders)::bigint AS orders, SUM(units)::bigint AS units, SUM(net_revenue) AS net_revenue
       FROM serving.daily_sales
       WHERE sales_date BETWEEN %(start)s AND %(end)s
       GROUP BY country""",
    (("net_revenue", Decimal), ("country", str)),
    descending=True,
)

CUSTOMERS = Listing(
    "customers",
    """SELECT customer_id, country, first_order_date, last_order_date, orders, lifetime_revenue,
              average_order_value
       FROM serving.customer_lifetime_value""",
    (("lifetime_revenue", Decimal), ("customer_id", str)),
    descending=True,
    optional=("country",),
)

FUNNEL = Listing(
    "funnel",
    """SELECT event_date, sessions, product_view_sessions, add_to_cart_sessions, checkout_sessions,
              purchase_sessions, conversion_rate
       FROM serving.clickstream_funnel_daily
       WHERE event_date BETWEEN %(start)s AND %(end)s""",
    (("event_date", date),),
)

MARKET = Listing(
    "market",
    """SELECT indicator_date, country, orders, net_revenue, consumer_confidence, freight_index, fx_usd,
              retail_sales_index
       FROM serving.market_indicators_beside_sales
       WHERE country = %(country)s AND indicator_date BETWEEN %(start)s AND %(end)s""",
    (("indicator_date", date),),
)

_VALUATION_COLUMNS = """plate_sha256, state_code, requested_at, requested_date, vehicle, mileage,
    average_market_price, standard_deviation, sample_count, statistical_confidence, market_price_below,
    market_price_average, market_price_above, sales_period_start, sales_period_end"""

VEHICLE_VALUATIONS = Listing(
    "vehicle_valuations",
    f"""SELECT {_VALUATION_COLUMNS}
        FROM serving.vehicle_valuations_latest
        WHERE requested_date BETWEEN %(start)s AND %(end)s""",
    (("requested_date", date), ("state_code", str), ("plate_sha256", str)),
    descending=True,
    optional=("state_code",),
)

CUSTOMER = """SELECT customer_id, country, first_order_date, last_order_date, orders, lifetime_revenue,
                     average_order_value
              FROM serving.customer_lifetime_value WHERE customer_id = %(customer_id)s"""

VEHICLE_VALUATION = f"""SELECT {_VALUATION_COLUMNS} FROM serving.vehicle_valuations_latest
                        WHERE state_code = %(state_code)s AND plate_sha256 = %(plate_sha256)s"""
