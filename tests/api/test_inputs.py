"""Inputs the database cannot hold, and requests larger than a query needs, are 4xx in the error model."""

from __future__ import annotations

import pytest

RANGE = {"start": "1997-01-01", "end": "1997-01-31"}


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/sales/daily", {**RANGE, "product_id": 2**31}, "product_id"),
        ("/v1/sales/daily", {**RANGE, "product_id": 2**63}, "product_id"),
        ("/v1/sales/daily", {**RANGE, "limit": 2**63}, "limit"),
        ("/v1/sales/daily", {**RANGE, "country": "Fr\x00ance"}, "country"),
        ("/v1/customers/lifetime-value", {"country": "x" * 65}, "country"),
        ("/v1/funnel/daily", {"start": "0", "end": "1997-01-31"}, "start"),
        ("/v1/funnel/daily", {"start": "852076800", "end": "1997-01-31"}, "start"),
        ("/v1/funnel/daily", {"start": "1997-01-01", "end": "1997-01-31T00:00:00"}, "end"),
        ("/v1/funnel/daily", {**RANGE, "cursor": "a\x00b"}, "cursor"),
    ],
)
def test_values_beyond_the_columns_types_are_a_422_naming_the_parameter(client, path, params, field):
    response = client.get(path, params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == 422 and [e["location"] for e in body["errors"]] == [["query", field]]


@pytest.mark.parametrize(
    "path",
    ["/v1/customers/AL%00FKI/lifetime-value", "/v1/market/Fr%00ance?start=1997-01-01&end=1997-01-31"],
)
def test_a_nul_in_a_path_parameter_is_a_422(client, path):
    assert client.get(path).status_code == 422


def test_a_range_longer_than_ten_years_is_a_400_and_the_limit_is_in_the_schema(client):
    response = client.get("/v1/funnel/daily", params={"start": "1990-01-01", "end": "2000-01-10"})
    assert response.status_code == 400 and "ten years" in response.json()["detail"]
    parameters = client.get("/openapi.json").json()["paths"]["/v1/funnel/daily"]["get"]["parameters"]
    end = next(p for p in parameters if p["name"] == "end")
    assert end["schema"]["x-max-days-after-start"] == 3660 and "3660 days" in end["description"]


def test_every_bounded_parameter_declares_its_bounds(client):
    schema = client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for parameter in operations["get"].get("parameters", []):
            declared = parameter["schema"].get("anyOf", [parameter["schema"]])[0]
            if declared.get("type") == "integer":
                assert "maximum" in declared, f"{path} {parameter['name']}"
            if declared.get("type") == "string":
                assert "pattern" in declared, f"{path} {parameter['name']}"


def test_a_long_request_target_is_a_414(client):
    response = client.get("/v1/customers/lifetime-value", params={"country": "x" * 3000})
    assert response.status_code == 414 and response.json()["status"] == 414


def test_large_headers_are_a_431(client):
    assert client.get("/health", headers={"X-Padding": "x" * 9000}).status_code == 431


def test_a_request_body_is_a_413(client):
    response = client.request("GET", "/v1/customers/lifetime-value", content=b"x" * 2048)
    assert response.status_code == 413 and response.headers["cache-control"] == "no-store"


def test_an_unknown_route_and_a_wrong_method_answer_in_the_error_model(client):
    missing = client.get("/v2/anything")
    assert missing.status_code == 404 and missing.json()["title"] == "Not Found"
    wrong = client.post("/health")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET"
