"""The raw-zone cache: layout, document format, TTL, and what is not cached."""

from __future__ import annotations

import json
from datetime import timedelta

from etl.enrich.vehicle_valuation.cache import params_digest
from etl.enrich.vehicle_valuation.enricher import Outcome
from etl.enrich.vehicle_valuation.validation import validate_lookup
from tests.support.rapidapi_stub import Reply, valuation_body

PLATE = "7ABC123"


def test_a_fetched_valuation_lands_under_the_request_day_as_the_pipeline_document(open_enricher, lake):
    request = validate_lookup(PLATE, "CA", "42000", 90)

    open_enricher().lookup(request)

    [key] = lake.list_keys("raw/vehicle_valuations/")
    assert key == (f"raw/vehicle_valuations/date=2026-11-29/{request.plate_sha256}-CA-{params_digest(request)}.json")
    document = json.loads(lake.get_bytes(key))
    assert document == {
        "request": {
            "plate_sha256": request.plate_sha256,
            "state_code": "CA",
            "mileage": 42000,
            "period": 90,
            "requested_at": "2026-11-29T06:00:00Z",
        },
        "status_code": 200,
        "response": valuation_body(PLATE, "CA", "42000"),
    }
    assert PLATE not in lake.get_bytes(key).decode()


def test_a_lookup_cached_within_the_ttl_makes_no_call(open_enricher, stub, clock):
    request = validate_lookup(PLATE, "CA")
    open_enricher().lookup(request)
    clock.advance(timedelta(days=6, hours=23))

    result = open_enricher().lookup(request)

    assert result.outcome is Outcome.CACHED
    assert result.calls == 0
    assert result.document["response"] == valuation_body(PLATE, "CA", None)
    assert len(stub.calls) == 1


def test_a_lookup_cached_longer_than_the_ttl_is_fetched_again(open_enricher, stub, clock, lake):
    request = validate_lookup(PLATE, "CA")
    open_enricher().lookup(request)
    clock.advance(timedelta(days=7, minutes=1))

    result = open_enricher().lookup(request)

    assert result.outcome is Outcome.FETCHED
    assert len(stub.calls) == 2
    assert len(list(lake.list_keys("raw/vehicle_valuations/"))) == 2


def test_the_ttl_is_configurable(open_enricher, stub, clock):
    request = validate_lookup(PLATE, "CA")
    open_enricher().lookup(request)
    clock.advance(timedelta(hours=2))

    result = open_enricher(cache_ttl=timedelta(hours=1)).lookup(request)

    assert result.outcome is Outcome.FETCHED
    assert len(stub.calls) == 2


def test_a_different_mileage_or_period_is_a_different_cache_entry(open_enricher, stub):
    enricher = open_enricher()

    enricher.lookup(validate_lookup(PLATE, "CA", "42000"))
    enricher.lookup(validate_lookup(PLATE, "CA", "50000"))
    enricher.lookup(validate_lookup(PLATE, "CA", "42000", 30))
    repeated = enricher.lookup(validate_lookup("7abc 123", "ca", "42000"))

    assert len(stub.calls) == 3
    assert repeated.outcome is Outcome.CACHED


def test_a_non_200_answer_is_not_cached_and_the_next_run_calls_again(open_enricher, stub, lake):
    stub.script_plate(PLATE, Reply.not_found())
    request = validate_lookup(PLATE, "CA")

    first = open_enricher().lookup(request)
    second = open_enricher().lookup(request)

    assert (first.outcome, second.outcome) == (Outcome.FAILED, Outcome.FETCHED)
    assert len(stub.calls) == 2
    assert len(list(lake.list_keys("raw/vehicle_valuations/"))) == 1


def test_a_cached_document_dated_in_the_future_is_not_used(open_enricher, stub, clock):
    request = validate_lookup(PLATE, "CA")
    clock.advance(timedelta(hours=1))
    open_enricher().lookup(request)
    clock.advance(timedelta(hours=-2))

    result = open_enricher().lookup(request)

    assert result.outcome is Outcome.FETCHED
