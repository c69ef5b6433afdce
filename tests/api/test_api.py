"""The analytics API's routes over a real PostgreSQL with the serving schema."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from northwind_analytics.api import create_app
from northwind_analytics.database import Database
from northwind_analytics.settings import ServiceSettings, SettingsError


def test_health_answers_without_touching_the_database():
    unreachable = ServiceSettings(db_host="127.0.0.1", db_port=1, db_sslmode="disable")
    response = TestClient(create_app(Database(unreachable))).get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_database_health_is_503_with_a_plain_message_when_the_database_is_down():
    unreachable = ServiceSettings(db_host="127.0.0.1", db_port=1, db_sslmode="disable")
    response = TestClient(create_app(Database(unreachable))).get("/health/database")
    assert response.status_code == 503
    assert response.json() == {"detail": "the serving database is unavailable; retry shortly"}


def test_database_health_is_ok_when_the_database_answers(client):
    assert client.get("/health/database").json() == {"status": "ok"}


def test_daily_sales_filters_by_range_and_country_newest_first(client):
    response = client.get("/v1/sales/daily", params={"start": "1997-01-01", "end": "1997-01-31", "country": "France"})
    assert response.status_code == 200
    assert [(r["sales_date"], r["product_id"], Decimal(r["net_revenue"])) for r in response.json()] == [
        ("1997-01-03", 11, Decimal("70.00")),
        ("1997-01-02", 42, Decimal("88.20")),
    ]


def test_daily_sales_honours_the_limit(client):
    response = client.get("/v1/sales/daily", params={"start": "1997-01-01", "end": "1997-12-31", "limit": 1})
    assert [r["sales_date"] for r in response.json()] == ["1997-02-01"]


def test_sales_by_country_sums_the_range(client):
    response = client.get("/v1/sales/by-country", params={"start": "1997-01-01", "end": "1997-01-31"})
    assert [(r["country"], r["orders"], r["units"], Decimal(r["net_revenue"])) for r in response.json()] == [
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
    assert response.json()["detail"][0]["loc"] == ["query", "start"]


def test_a_limit_above_the_maximum_is_rejected(client):
    response = client.get("/v1/customers/lifetime-value", params={"limit": 5000})
    assert response.status_code == 422


def test_customers_come_highest_lifetime_revenue_first(client):
    response = client.get("/v1/customers/lifetime-value")
    assert [r["customer_id"] for r in response.json()] == ["ALFKI", "VINET"]


def test_one_customers_value_and_a_404_naming_an_unknown_customer(client):
    assert Decimal(client.get("/v1/customers/VINET/lifetime-value").json()["lifetime_revenue"]) == Decimal("1480.00")
    missing = client.get("/v1/customers/NOPE/lifetime-value")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no lifetime value for customer 'NOPE'"


def test_the_funnel_reports_conversion_per_day(client):
    (day,) = client.get("/v1/funnel/daily", params={"start": "1997-01-01", "end": "1997-01-31"}).json()
    assert (day["sessions"], day["purchase_sessions"], Decimal(day["conversion_rate"])) == (100, 5, Decimal("0.05"))


def test_market_indicators_sit_beside_the_countrys_sales(client):
    (day,) = client.get("/v1/market/France", params={"start": "1997-01-01", "end": "1997-01-31"}).json()
    assert Decimal(day["consumer_confidence"]) == Decimal("101.5")
    assert day["freight_index"] is None


def test_the_session_is_read_only(serving_settings):
    import psycopg

    with Database(serving_settings).connect() as connection, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        connection.execute("DELETE FROM serving.daily_sales")


def test_iam_tokens_are_reused_until_they_near_expiry():
    issued = []
    now = [0.0]

    def sign() -> str:
        issued.append(f"token-{len(issued)}")
        return issued[-1]

    settings = ServiceSettings(db_host="db", db_iam_auth=True, region="eu-west-2")
    database = Database(settings, sign_token=sign, clock=lambda: now[0])
    assert database._password() == "token-0"
    now[0] = 300
    assert database._password() == "token-0"
    now[0] = 601
    assert database._password() == "token-1"


def test_settings_come_from_the_environment_the_boot_script_writes():
    settings = ServiceSettings.from_environment(
        {
            "NORTHWIND_DB_HOST": "db.internal",
            "NORTHWIND_DB_PORT": "5432",
            "NORTHWIND_DB_NAME": "northwind",
            "NORTHWIND_DB_USER": "analytics_service",
            "NORTHWIND_DB_IAM_AUTH": "true",
            "NORTHWIND_DB_SSLMODE": "verify-full",
            "AWS_REGION": "eu-west-2",
        }
    )
    assert settings.db_iam_auth and settings.db_sslmode == "verify-full"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "db_host: Field required"),
        ({"NORTHWIND_DB_HOST": "db", "NORTHWIND_DB_PORT": "x"}, "db_port: Input should be a valid integer"),
        ({"NORTHWIND_DB_HOST": "db", "NORTHWIND_DB_IAM_AUTH": "true"}, "needs AWS_REGION"),
    ],
)
def test_bad_settings_are_one_clear_error(environ, message):
    with pytest.raises(SettingsError, match=message):
        ServiceSettings.from_environment(environ)


def test_uvicorn_finds_the_app_built_from_the_environment(monkeypatch):
    import northwind_analytics.api as module

    monkeypatch.setenv("NORTHWIND_DB_HOST", "127.0.0.1")
    monkeypatch.setenv("NORTHWIND_DB_PORT", "1")
    monkeypatch.setenv("NORTHWIND_DB_SSLMODE", "disable")
    monkeypatch.delenv("NORTHWIND_DB_IAM_AUTH", raising=False)
    assert TestClient(module.app).get("/health").status_code == 200


def test_the_api_logs_in_as_its_own_read_only_role(serving_settings):
    with Database(serving_settings).connect() as connection:
        row = connection.execute("SELECT current_user AS role_name").fetchone()
    assert row == {"role_name": serving_settings.db_user}
    assert serving_settings.db_user == "analytics_service"
