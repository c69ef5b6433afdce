"""HTTP routes of the analytics API (``uvicorn northwind_analytics.api:app``).

Every route but the liveness check needs a bearer token from the workforce identity provider; aggregate
routes need the ``analytics.read`` scope, customer-level ones ``customers.read``, vehicle valuations
``valuations.read``. Dates are inclusive ranges of at most ten years, every list is paged by a cursor and
bounded by ``limit``, and every error is the one ``Problem`` model.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Security
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, BeforeValidator, WithJsonSchema

from northwind_analytics import __version__, queries
from northwind_analytics.auth import Permission, SigningKeys, TokenVerifier, authenticator
from northwind_analytics.cache import CachedResponses, ResponseCache, follow_serving_versions
from northwind_analytics.database import Database, DatabaseAddress, rds_token_signer, ssm_parameter_reader
from northwind_analytics.errors import BadRequest, NotFound, ServiceUnavailable, error_responses, install_error_handlers
from northwind_analytics.middleware import RequestLimits, SecurityHeaders
from northwind_analytics.models import (
    CountrySales,
    CustomerValue,
    DailySales,
    FunnelDay,
    Liveness,
    MarketDay,
    Page,
    Readiness,
    VehicleValuation,
)
from northwind_analytics.settings import ServiceSettings

MAX_ROWS = 1000
MAX_RANGE_DAYS = 3660  # ten years
PG_INTEGER_MAX = 2**31 - 1
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
COUNTRY = r"^[A-Za-z][A-Za-z .'-]{0,63}$"
CUSTOMER_ID = r"^[A-Za-z0-9]{1,64}$"
STATE_CODE = r"^[A-Z]{2}$"
PLATE_SHA256 = r"^[0-9a-f]{64}$"

LIST_ERRORS = error_responses(400, 401, 403, 422, 503)
ITEM_ERRORS = error_responses(401, 403, 404, 422, 503)


def _iso_text(value: Any) -> Any:
    # Without this a number would be taken as a Unix time (start=0 is 1970-01-01); only YYYY-MM-DD is a date.
    if not isinstance(value, str) or not re.fullmatch(ISO_DATE, value):
        raise ValueError("give the date as YYYY-MM-DD")
    return value


_DATE_SCHEMA = {"type": "string", "format": "date", "pattern": ISO_DATE}
IsoDate = Annotated[date, BeforeValidator(_iso_text), WithJsonSchema(_DATE_SCHEMA)]
RangeEnd = Annotated[
    date, BeforeValidator(_iso_text), WithJsonSchema({**_DATE_SCHEMA, "x-max-days-after-start": MAX_RANGE_DAYS})
]


class DateRange(BaseModel):
    start: date
    end: date


async def date_range(
    start: Annotated[IsoDate, Query(description="First day, inclusive (YYYY-MM-DD)")],
    end: Annotated[
        RangeEnd,
        Query(
            description=f"Last day, inclusive (YYYY-MM-DD): on or after start, at most {MAX_RANGE_DAYS} days "
            "(ten years) after it, else 400",
        ),
    ],
) -> DateRange:
    if end < start:
        raise BadRequest(f"end ({end}) is before start ({start}); give an inclusive range start <= end")
    if (end - start).days > MAX_RANGE_DAYS:
        raise BadRequest(f"the range is longer than ten years ({MAX_RANGE_DAYS} days); narrow start and end")
    return DateRange(start=start, end=end)


Period = Annotated[DateRange, Depends(date_range)]
Limit = Annotated[int, Query(ge=1, le=MAX_ROWS, description=f"Rows per page, at most {MAX_ROWS}")]
Cursor = Annotated[str | None, Query(pattern=queries.CURSOR_PATTERN, description="`next_cursor` of the previous page")]
Country = Annotated[str | None, Query(pattern=COUNTRY, description="Only this country, e.g. Germany")]


def create_app(settings: ServiceSettings, sign_token=None, read_parameter=None) -> FastAPI:
    """The application: its pool to the serving database opens when the app starts, closes when it stops.

    ``sign_token`` returns an RDS IAM token for a host (default: none, for a database without IAM
    authentication); ``read_parameter`` an SSM parameter's value (default: none, for a fixed host).
    """
    database = Database(settings, sign_token=sign_token, address=DatabaseAddress(settings, read_parameter))
    verifier = TokenVerifier(settings, SigningKeys(settings.auth_jwks_url))
    authenticated = authenticator(settings, verifier)
    cache = ResponseCache(settings.response_cache_bytes, settings.response_cache_stale_seconds)

    async def fetch_versions(sql: str) -> list[dict[str, Any]]:
        return await database.fetch(queries.Query(sql, {}), deadline=settings.db_pool_wait_seconds + 1)

    def caller_with(permission: Permission | None = None) -> list[Any]:
        # Route-level dependencies run before the route's parameters are used: the caller is authenticated
        # and authorized first, so an anonymous caller learns nothing from a 400 about its parameters.
        return [Security(authenticated, scopes=[permission] if permission else [])]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await database.open()
        stop, versions = asyncio.Event(), None
        if settings.response_cache_bytes:
            versions = asyncio.create_task(
                follow_serving_versions(fetch_versions, cache, settings.response_cache_refresh_seconds, stop)
            )
        try:
            yield
        finally:
            if versions is not None:
                stop.set()
                versions.cancel()
                await asyncio.wait({versions}, timeout=settings.query_deadline_seconds)
            await database.close()

    app = FastAPI(
        title="Northwind analytics API",
        version=__version__,
        description=__doc__,
        lifespan=lifespan,
        # The request limits answer before routing, on every route.
        responses=error_responses(413, 414, 431),
        # Served below, to authenticated callers only.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # The service exports no OpenTelemetry; a provider installed globally would otherwise receive every
        # request and the text of its unhandled errors (ADR 0127).
        telemetry={
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        },
    )
    app.state.database = database
    app.state.verifier = verifier
    app.state.cache = cache
    install_error_handlers(app)
    # Innermost first: the limits refuse before the cache is consulted, and every answer gets the headers.
    permissions: dict[str, Permission] = {}
    app.add_middleware(CachedResponses, cache=cache, verifier=verifier, permissions=permissions)
    app.add_middleware(RequestLimits)
    app.add_middleware(SecurityHeaders)

    async def page(listing: queries.Listing, filters: dict[str, Any], cursor: str | None, limit: int) -> dict:
        rows = await database.fetch(listing.page(filters, listing.after(cursor, filters), limit))
        more = len(rows) > limit
        return {"items": rows[:limit], "next_cursor": listing.cursor(filters, rows[limit - 1]) if more else None}

    async def one(sql: str, params: dict[str, Any], missing: str) -> dict:
        found = await database.fetch(queries.Query(sql, params))
        if not found:
            raise NotFound(missing)
        return found[0]

    @app.get("/health", response_model=Liveness, tags=["health"])
    async def health() -> dict[str, str]:
        """Liveness for the load balancer: the process serves requests. It touches neither the database nor a
        worker thread, so it answers at once whatever the database does (a database outage must not empty the
        target group)."""
        return {"status": "ok"}

    @app.get(
        "/health/database",
        response_model=Readiness,
        tags=["health"],
        responses={**error_responses(401), 503: {"model": Readiness, "description": "The database does not answer"}},
        dependencies=caller_with(),
    )
    async def database_health() -> Any:
        """Readiness of the serving database for this process: 200 when a query succeeds, 503 otherwise, with
        the connection pool's state either way."""
        try:
            await database.fetch(queries.Query("SELECT 1 AS ok", {}), deadline=settings.db_pool_wait_seconds + 1)
        except ServiceUnavailable as unavailable:
            body = Readiness(status="unavailable", pool=database.state(), response_cache=cache.state())
            return JSONResponse(body.model_dump(), status_code=503, headers=unavailable.headers)
        return Readiness(status="ok", pool=database.state(), response_cache=cache.state())

    @app.get(
        "/v1/sales/daily",
        response_model=Page[DailySales],
        tags=["sales"],
        responses=LIST_ERRORS,
        dependencies=caller_with(Permission.ANALYTICS),
    )
    async def daily_sales(
        period: Period,
        country: Country = None,
        product_id: Annotated[int | None, Query(ge=1, le=PG_INTEGER_MAX, description="Only this product")] = None,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> dict:
        """Daily sales per product and country, newest day first (then product and country, descending)."""
        filters = {**period.model_dump(), "country": country, "product_id": product_id}
        return await page(queries.DAILY_SALES, filters, cursor, limit)

    @app.get(
        "/v1/sales/by-country",
        response_model=Page[CountrySales],
        tags=["sales"],
        responses=LIST_ERRORS,
        dependencies=caller_with(Permission.ANALYTICS),
    )
    async def sales_by_country(period: Period, limit: Limit = 100, cursor: Cursor = None) -> dict:
        """Sales totals per country over the range, largest net revenue first."""
        return await page(queries.SALES_BY_COUNTRY, period.model_dump(), cursor, limit)

    @app.get(
        "/v1/funnel/daily",
        response_model=Page[FunnelDay],
        tags=["clickstream"],
        responses=LIST_ERRORS,
        dependencies=caller_with(Permission.ANALYTICS),
    )
    async def funnel(period: Period, limit: Limit = 100, cursor: Cursor = None) -> dict:
        """The clickstream funnel and conversion per day, oldest first."""
        return await page(queries.FUNNEL, period.model_dump(), cursor, limit)

    @app.get(
        "/v1/market/{country}",
        response_model=Page[MarketDay],
        tags=["market"],
        responses=LIST_ERRORS,
        dependencies=caller_with(Permission.ANALYTICS),
    )
    async def market(
        country: Annotated[str, Path(pattern=COUNTRY, description="The country, e.g. France")],
        period: Period,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> dict:
        """Market indicators beside the country's daily sales, oldest first."""
        return await page(queries.MARKET, {**period.model_dump(), "country": country}, cursor, limit)

    @app.get(
        "/v1/customers/lifetime-value",
        response_model=Page[CustomerValue],
        tags=["customers"],
        responses=LIST_ERRORS,
        dependencies=caller_with(Permission.CUSTOMERS),
    )
    async def customers(country: Country = None, limit: Limit = 20, cursor: Cursor = None) -> dict:
        """Customers by lifetime revenue, highest first."""
        return await page(queries.CUSTOMERS, {"country": country}, cursor, limit)

    @app.get(
        "/v1/customers/{customer_id}/lifetime-value",
        response_model=CustomerValue,
        tags=["customers"],
        responses=ITEM_ERRORS,
        dependencies=caller_with(Permission.CUSTOMERS),
    )
    async def customer_value(
        customer_id: Annotated[str, Path(pattern=CUSTOMER_ID, description="The customer's pseudonym")],
    ) -> dict:
        """One customer's lifetime value; 404 names the customer when there is none."""
        return await one(
            queries.CUSTOMER, {"customer_id": customer_id}, f"no lifetime value for customer {customer_id!r}"
        )

    @app.get(
        "/v1/vehicle-valuations",
        response_model=Page[VehicleValuation],
        tags=["vehicle valuations"],
        responses=LIST_ERRORS,
        dependencies=caller_with(Permission.VALUATIONS),
    )
    async def vehicle_valuations(
        period: Period,
        state_code: Annotated[str | None, Query(pattern=STATE_CODE, description="Only this US state")] = None,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> dict:
        """The latest valuation per plate requested in the range (start and end apply to the request day),
        newest first."""
        filters = {**period.model_dump(), "state_code": state_code}
        return await page(queries.VEHICLE_VALUATIONS, filters, cursor, limit)

    @app.get(
        "/v1/vehicle-valuations/{state_code}/{plate_sha256}",
        response_model=VehicleValuation,
        tags=["vehicle valuations"],
        responses=ITEM_ERRORS,
        dependencies=caller_with(Permission.VALUATIONS),
    )
    async def vehicle_valuation(
        state_code: Annotated[str, Path(pattern=STATE_CODE, description="The plate's US state")],
        plate_sha256: Annotated[str, Path(pattern=PLATE_SHA256, description="The plate's pseudonym")],
    ) -> dict:
        """The latest valuation of one plate; 404 when it was never valued."""
        return await one(
            queries.VEHICLE_VALUATION,
            {"state_code": state_code, "plate_sha256": plate_sha256},
            f"no valuation for plate {plate_sha256} in {state_code}",
        )

    # The data routes, by path template, and the scope each requires: what the response cache may keep.
    permissions.update(_required_permissions(app))

    @app.get("/openapi.json", include_in_schema=False, dependencies=caller_with())
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=caller_with())
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=app.title)

    return app


def _required_permissions(app: FastAPI) -> dict[str, Permission]:
    """Each route's path and the scope its security dependency requires, for routes requiring one."""
    required = {}
    for route in app.routes:
        dependencies = getattr(route, "dependencies", ())
        scopes = [scope for dependency in dependencies for scope in getattr(dependency, "scopes", ())]
        if scopes:
            (required[route.path],) = (Permission(scope) for scope in scopes)
    return required


def configure_logging() -> None:
    """The service's lines with time and level on standard error (the unit appends it to the service log)."""
    service = logging.getLogger("northwind_analytics")
    if not service.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        service.addHandler(handler)
        service.setLevel(logging.INFO)
    # The pool retries in the background and logs each attempt; an outage is logged once, by the database module.
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)


def _app_from_environment() -> FastAPI:
    configure_logging()
    settings = ServiceSettings.from_environment()
    return create_app(
        settings,
        sign_token=rds_token_signer(settings) if settings.db_iam_auth else None,
        read_parameter=ssm_parameter_reader(settings) if settings.db_host_parameter else None,
    )


def __getattr__(name: str) -> FastAPI:
    # ``northwind_analytics.api:app`` is built on first access, so importing the module needs no settings.
    if name == "app":
        return _app_from_environment()
    raise AttributeError(name)
