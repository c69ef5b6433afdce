"""The analytics API's routes over a real PostgreSQL with the serving schema."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from northwind_analytics.api import create_app
from northwind_analytics.database import Database
from northwind_analytics.settings import ServiceSettings, SettingsError
from opentelemetry import _logs, metrics, trace

from tests.api.conftest import PLATE, service_settings


def test_health_answers_without_touching_the_database(postgres_server, identity_provider):
    unreachable = service_settings(postgres_server, identity_provider, db_port=1)
    with TestClient(create_app(unreachable)) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_no_request_looks_up_a_global_telemetry_provider(monkeypatch, postgres_server, identity_provider):
    # A provider an agent installed globally would receive the request's spans, metrics and error logs.
    looked_up = []
    for module, lookup in (
        (trace, "get_tracer_provider"),
        (metrics, "get_meter_provider"),
        (_logs, "get_logger_provider"),
    ):
        original = getattr(module, lookup)
        monkeypatch.setattr(
            module, lookup, lambda original=original, lookup=lookup: looked_up.append(lookup) or original()
        )
    unreachable = service_settings(postgres_server, identity_provider, db_port=1)
    with TestClient(create_app(unreachable)) as client:
        statuses = [client.get(path).status_code for path in ("/health", "/v1/sales/daily", "/no-such-route")]
    assert statuses == [200, 401, 404]
    assert looked_up == []


def test_daily_sales_filters_by_range_and_country_newest_first(client):
    response = client.get("/v1/sales/daily", params={"start": "1997-01-01", "end": "1997-01-31", "country": "France"})
    assert response.status_code == 200
    assert [(r["sales_date"], r["product_id"], Decimal(r["net_revenue"])) for r in response.json()["items"]] == [
        ("1997-01-03", 11, Decimal("70.00")),
        ("1997-01-02", 42, Decimal("88.20")),
    ]


def test_daily_sales_pages_follow_each_other_without_gaps_or_repeats(client):
    params = {"start": "1997-01-01", "end": "1997-12-31", "limit": 1}
    seen, cursor = [], None
    while True:
        page = client.get("/v1/sales/daily", params={**params, **({"cursor": cursor} if cursor else {})}).json()
        seen += [(r["sales_date"], r["product_id"], r["country"]) for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [
        ("1997-02-01", 11, "Germany"),
        ("1997-01-03", 11, "France"),
        ("1997-01-02", 42, "France"),
        ("1997-01-02", 11, "Germany"),
    ]


def test_a_page_is_stable_when_rows_are_added_before_it(client, serving_settings):
    import psycopg

    first = client.get("/v1/sales/daily", params={"start": "1997-01-01", "end": "1997-12-31", "limit": 2}).json()
    conninfo = f"host={serving_settings.db_host} port={serving_settings.db_port} dbname={serving_settings.db_name}"
    with psycopg.connect(conninfo + " user=postgres", autocommit=True) as connection:
        connection.execute(
            "INSERT INTO serving.daily_sales (sales_date, product_id, country, orders, units, gross_revenue,"
            " discount_amount, net_revenue) VALUES ('1997-03-01', 1, 'UK', 1, 1, 1, 0, 1)"
        )
    second = client.get(
        "/v1/sales/daily",
        params={"start": "1997-01-01", "end": "1997-12-31", "limit": 2, "cursor": first["next_cursor"]},
    ).json()
    assert [(r["sales_date"], r["product_id"]) for r in second["items"]] == [("1997-01-02", 42), ("1997-01-02", 11)]


def test_a_cursor_of_another_query_or_a_forged_one_is_a_clear_400(client):
    first = client.get("/v1/sales/daily", params={"start": "1997-01-01", "end": "1997-12-31", "limit": 1}).json()
    other = client.get(
        "/v1/sales/daily",
        params={"start": "1997-01-01", "end": "1997-06-30", "limit": 1, "cursor": first["next_cursor"]},
    )
    assert other.status_code == 400 and "another query" in other.json()["detail"]
    forged = client.get("/v1/sales/daily", params={"start": "1997-01-01", "end": "1997-12-31", "cursor": "bm9wZQ"})
    assert forged.status_code == 400 and forged.json()["detail"].startswith("the cursor is not one this API issued")


def test_sales_by_country_sums_the_range(client):
    response = client.get("/v1/sales/by-country", params={"start": "1997-01-01", "end": "1997-01-31"})
    assert [(r["country"], r["orders"], r["units"], Decimal(r["net_revenue"])) for r in response.json()["items"]] == [
        ("Germany", 2, 30, Decimal("420.00")),
        ("France", 2, 15, Decimal("158.20")),
    ]


def test_a_reversed_date_range_is_a_clear_400(client):
    response = client.get("/v1/sales/by-country", params={"start": "1997-02-01", "end": "1997-01-01"})
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "end (1997-01-01) is before start (1997-02-01); give an inclusive range start <= end"
    )


def test_a_malformed_date_is_rejected_with_the_field_named(client):
    response = client.get("/v1/funnel/daily", params={"start": "01/02/1997", "end": "1997-01-31"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["query", "start"]


def test_customers_come_highest_lifetime_revenue_first(client):
    response = client.get("/v1/customers/lifetime-value")
    assert [r["customer_id"] for r in response.json()["items"]] == ["ALFKI", "VINET"]


def test_one_customers_value_and_a_404_naming_an_unknown_customer(client):
    assert Decimal(client.get("/v1/customers/VINET/lifetime-value").json()["lifetime_revenue"]) == Decimal("1480.00")
    missing = client.get("/v1/customers/NOPE/lifetime-value")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no lifetime value for customer 'NOPE'"


def test_the_funnel_reports_conversion_per_day(client):
    (day,) = client.get("/v1/funnel/daily", params={"start": "1997-01-01", "end": "1997-01-31"}).json()["items"]
    assert (day["sessions"], day["purchase_sessions"], Decimal(day["conversion_rate"])) == (100, 5, Decimal("0.05"))


def test_market_indicators_sit_beside_the_countrys_sales(client):
    (day,) = client.get("/v1/market/France", params={"start": "1997-01-01", "end": "1997-01-31"}).json()["items"]
    assert Decimal(day["consumer_confidence"]) == Decimal("101.5")
    assert day["freight_index"] is None


def test_vehicle_valuations_list_newest_first_and_filter_by_state(client):
    period = {"start": "2026-10-01", "end": "2026-10-31"}
    listed = client.get("/v1/vehicle-valuations", params=period).json()["items"]
    assert [(v["state_code"], v["requested_date"]) for v in listed] == [("TX", "2026-10-02"), ("CA", "2026-10-01")]
    (california,) = client.get("/v1/vehicle-valuations", params={**period, "state_code": "CA"}).json()["items"]
    assert california["vehicle"] == "2019 Toyota Camry" and Decimal(california["average_market_price"]) == 18250


def test_one_plates_valuation_and_a_404_for_a_plate_never_valued(client):
    found = client.get(f"/v1/vehicle-valuations/CA/{PLATE}")
    assert found.status_code == 200 and found.json()["mileage"] == 42000
    assert client.get(f"/v1/vehicle-valuations/NY/{PLATE}").status_code == 404


def test_data_responses_carry_the_security_headers(client):
    headers = client.get("/v1/customers/lifetime-value").headers
    # Customer-level data: no cache anywhere keeps it; aggregates only the caller's own, revalidating each time.
    assert headers["cache-control"] == "private, no-store" and headers["vary"] == "authorization"
    aggregate = client.get("/v1/funnel/daily", params={"start": "1997-01-01", "end": "1997-01-31"}).headers
    assert aggregate["cache-control"] == "private, no-cache"
    assert client.get("/v1/customers/NOBODY/lifetime-value").headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert "server" not in headers or "uvicorn" not in headers["server"]


def test_the_openapi_document_and_docs_are_for_authenticated_callers_only(anonymous, client):
    assert anonymous.get("/openapi.json", headers={"Authorization": ""}).status_code == 401
    assert anonymous.get("/docs", headers={"Authorization": ""}).status_code == 401
    assert client.get("/openapi.json").json()["info"]["title"] == "Northwind analytics API"
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 404


@pytest.mark.anyio
async def test_the_session_is_read_only(serving_settings):
    import psycopg

    database = Database(serving_settings)
    await database.open()
    try:
        async with database.pool.connection() as connection:
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                await connection.execute("DELETE FROM serving.daily_sales")
            row = await (await connection.execute("SELECT current_user AS role_name")).fetchone()
    finally:
        await database.close()
    assert row == {"role_name": "analytics_service"} and serving_settings.db_user == "analytics_service"


def test_settings_come_from_the_environment_the_boot_script_writes():
    settings = ServiceSettings.from_environment(
        {
            "NORTHWIND_DB_HOST": "db.internal",
            "NORTHWIND_DB_PORT": "5432",
            "NORTHWIND_DB_NAME": "northwind",
            "NORTHWIND_DB_USER": "analytics_service",
            "NORTHWIND_DB_IAM_AUTH": "true",
            "NORTHWIND_DB_SSLMODE": "verify-full",
            "NORTHWIND_DB_POOL_MAX_SIZE": "12",
            "NORTHWIND_AUTH_ISSUER": "https://idp.example/oauth2/workforce",
            "NORTHWIND_AUTH_AUDIENCE": "api://northwind-analytics-dev",
            "NORTHWIND_AUTH_JWKS_URL": "https://idp.example/oauth2/workforce/v1/keys",
            "NORTHWIND_AUTH_ALGORITHMS": "RS256, ES256",
            "AWS_REGION": "eu-west-2",
        }
    )
    assert settings.db_iam_auth and settings.db_sslmode == "verify-full" and settings.db_pool_max_size == 12
    assert settings.auth_algorithms == ("RS256", "ES256")


IDP = {
    "NORTHWIND_DB_HOST": "db",
    "NORTHWIND_AUTH_ISSUER": "https://idp.example",
    "NORTHWIND_AUTH_AUDIENCE": "api://a",
    "NORTHWIND_AUTH_JWKS_URL": "https://idp.example/keys",
}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"NORTHWIND_DB_HOST": "db"}, "auth_issuer: Field required"),
        ({k: v for k, v in IDP.items() if k != "NORTHWIND_DB_HOST"}, "NORTHWIND_DB_HOST_PARAMETER.*: exactly one"),
        ({**IDP, "NORTHWIND_DB_HOST_PARAMETER": "/northwind-dev-serving/address"}, "exactly one of them"),
        (
            {**{k: v for k, v in IDP.items() if k != "NORTHWIND_DB_HOST"}, "NORTHWIND_DB_HOST_PARAMETER": "/p/address"},
            "NORTHWIND_DB_HOST_PARAMETER needs AWS_REGION",
        ),
        ({**IDP, "NORTHWIND_DB_HOST_PARAMETER": "no-slash"}, "db_host_parameter: String should match pattern"),
        ({**IDP, "NORTHWIND_DB_PORT": "x"}, "db_port: Input should be a valid integer"),
        ({**IDP, "NORTHWIND_DB_IAM_AUTH": "true"}, "needs AWS_REGION"),
        ({**IDP, "NORTHWIND_AUTH_ALGORITHMS": "HS256"}, "HS256 not accepted"),
        ({**IDP, "NORTHWIND_AUTH_ALGORITHMS": "none"}, "none not accepted"),
        ({**IDP, "NORTHWIND_AUTH_JWKS_URL": "http://idp.example/keys"}, "must be an https:// URL"),
        ({**IDP, "NORTHWIND_DB_POOL_MIN_SIZE": "9", "NORTHWIND_DB_POOL_MAX_SIZE": "2"}, "exceeds db_pool_max_size"),
    ],
)
def test_bad_settings_are_one_clear_error(environ, message):
    with pytest.raises(SettingsError, match=message):
        ServiceSettings.from_environment(environ)


def test_uvicorn_finds_the_app_built_from_the_environment(monkeypatch, identity_provider):
    import northwind_analytics.api as module

    for name, value in {
        "NORTHWIND_DB_HOST": "127.0.0.1",
        "NORTHWIND_DB_PORT": "1",
        "NORTHWIND_DB_SSLMODE": "disable",
        "NORTHWIND_AUTH_ISSUER": identity_provider.issuer,
        "NORTHWIND_AUTH_AUDIENCE": identity_provider.audience,
        "NORTHWIND_AUTH_JWKS_URL": identity_provider.jwks_url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NORTHWIND_DB_IAM_AUTH", raising=False)
    with TestClient(module.app) as client:
        assert client.get("/health").status_code == 200
