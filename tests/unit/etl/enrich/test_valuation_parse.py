"""Tolerant extraction of the contract's fields from raw valuation documents."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from etl.contracts import load_contract
from etl.enrich.vehicle_valuation.parse import extract_valuation_fields
from tests.support.rapidapi_stub import valuation_body


def document(response: object, **request: object) -> dict:
    return {
        "request": {
            "plate_sha256": "a" * 64,
            "state_code": "CA",
            "mileage": None,
            "period": None,
            "requested_at": "2026-11-29T06:00:00Z",
            **request,
        },
        "status_code": 200,
        "response": response,
    }


def test_fields_are_the_contracts_source_fields_in_contract_order():
    contract = load_contract("vehicle_valuations")

    fields = extract_valuation_fields(document(valuation_body("7ABC123", "CA", None)))

    assert list(fields) == [item.name for item in contract.source_fields]


def test_a_full_answer_is_extracted_with_curated_types():
    body = valuation_body("7ABC123", "CA", "42000")

    fields = extract_valuation_fields(document(body, mileage=42000, period=90))

    assert fields["plate_sha256"] == "a" * 64
    assert fields["state_code"] == "CA"
    assert fields["requested_at"] == datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    assert fields["request_mileage"] == 42000
    assert fields["period_days"] == 90
    assert fields["status_code"] == 200
    assert fields["vehicle"] == body["vehicle"]
    assert fields["mileage"] == 42000
    assert fields["average_market_price"] == Decimal(body["average_market_price"]).quantize(Decimal("0.01"))
    assert fields["standard_deviation"] == Decimal("1250.50")
    assert fields["sample_count"] == body["count"]
    assert fields["statistical_confidence"] == 94.0
    assert fields["market_price_below"] == Decimal(body["market_prices"]["below"]).quantize(Decimal("0.01"))
    assert fields["market_price_above"] == Decimal(body["market_prices"]["above"]).quantize(Decimal("0.01"))
    assert fields["sales_period_start"] == date(2026, 5, 1)
    assert fields["sales_period_end"] == date(2026, 10, 31)
    assert fields["api_status"] == "success"
    assert fields["api_message"] is None


def test_numbers_written_as_text_with_currency_and_separators_are_read():
    fields = extract_valuation_fields(
        document(
            {
                "average_market_price": "$18,450.505",
                "mileage": "45,000",
                "statistical_confidence": "87.5 %",
                "count": "12",
            }
        )
    )

    assert fields["average_market_price"] == Decimal("18450.50")
    assert fields["mileage"] == 45000
    assert fields["statistical_confidence"] == 87.5
    assert fields["sample_count"] == 12


@pytest.mark.parametrize("odd", [None, "n/a", True, {"value": 1}, [1], "NaN", "Infinity", ""])
def test_odd_values_become_none(odd):
    fields = extract_valuation_fields(
        document(
            {
                "average_market_price": odd,
                "count": odd,
                "statistical_confidence": odd,
                "vehicle": odd,
                "market_prices": {"below": odd},
                "status": odd,
            }
        )
    )

    for name in ("average_market_price", "sample_count", "statistical_confidence", "market_price_below"):
        assert fields[name] is None


def test_a_fractional_count_is_not_a_count():
    assert extract_valuation_fields(document({"count": 12.5}))["sample_count"] is None


def test_a_structured_vehicle_becomes_year_make_model_trim():
    fields = extract_valuation_fields(document({"vehicle": {"year": 2019, "make": "Toyota", "model": "Camry"}}))

    assert fields["vehicle"] == "2019 Toyota Camry"


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (["2026-01-01", "2026-06-30"], (date(2026, 1, 1), date(2026, 6, 30))),
        ({"start": "01/15/2026", "end": "2026-06-30T00:00:00Z"}, (date(2026, 1, 15), date(2026, 6, 30))),
        (["2026-13-01", None], (None, None)),
        (["13/45/2026", "x"], (None, None)),
        ("2026-01-01", (None, None)),
        (["2026-01-01"], (None, None)),
    ],
)
def test_sales_period_accepts_a_pair_or_start_end_and_nothing_else(period, expected):
    fields = extract_valuation_fields(document({"sales_period": period}))

    assert (fields["sales_period_start"], fields["sales_period_end"]) == expected


def test_a_non_object_body_gives_only_the_request_fields():
    fields = extract_valuation_fields(document("upstream said no"))

    assert fields["plate_sha256"] == "a" * 64
    assert all(fields[name] is None for name in ("vehicle", "average_market_price", "api_status"))


def test_an_empty_or_broken_document_gives_all_none():
    assert set(extract_valuation_fields({}).values()) == {None}
    assert set(extract_valuation_fields({"request": "x", "response": []}).values()) == {None}


def test_requested_at_without_zone_is_utc_and_with_an_offset_is_converted():
    naive = extract_valuation_fields(document({}, requested_at="2026-11-29T06:00:00"))
    offset = extract_valuation_fields(document({}, requested_at="2026-11-29T08:00:00+02:00"))
    broken = extract_valuation_fields(document({}, requested_at="yesterday"))

    assert naive["requested_at"] == offset["requested_at"] == datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    assert broken["requested_at"] is None


def test_status_and_message_of_a_no_result_answer_are_kept():
    fields = extract_valuation_fields(document({"status": "error", "message": "No data found for this vehicle"}))

    assert fields["api_status"] == "error"
    assert fields["api_message"] == "No data found for this vehicle"


def test_parse_imports_only_the_standard_library_so_glue_jobs_can_use_it():
    import subprocess
    import sys

    heavy = ("requests", "pydantic", "pybreaker", "tenacity", "pyrate_limiter", "typer")
    code = f"import sys, etl.enrich.vehicle_valuation.parse; print([name for name in {heavy!r} if name in sys.modules])"

    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=".")

    assert loaded.stdout.strip() == "[]"
