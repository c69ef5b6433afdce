"""Contract tests against the stub API on loopback: success, 403, 429, 5xx, timeouts, malformed JSON, breaker."""

from __future__ import annotations

import socket
import time

from etl.enrich.vehicle_valuation.enricher import Outcome, StopReason, ValuationEnricher
from etl.enrich.vehicle_valuation.validation import validate_lookup
from tests.support.rapidapi_stub import NOT_SUBSCRIBED, RapidApiStub, Reply, valuation_body

from .conftest import API_KEY, fast_settings

PLATE = "7ABC123"


def test_a_lookup_sends_plate_state_and_rapidapi_headers_and_returns_the_body(open_enricher, stub):
    result = open_enricher().lookup(validate_lookup("7abc-123", "ca", "42000", 90))

    assert result.outcome is Outcome.FETCHED
    assert result.calls == 1
    assert result.document["response"] == valuation_body(PLATE, "CA", "42000")
    [call] = stub.calls
    assert call.params == {"license_plate": PLATE, "state_code": "CA", "mileage": "42000", "period": "90"}
    assert call.host_header == "vehicle-market-value.p.rapidapi.com"
    assert call.key_accepted


def test_403_not_subscribed_fails_fast_without_retry_and_stops_the_run(open_enricher, stub, sleeps):
    enricher = open_enricher(api_key="wrong-key")

    summary = enricher.run([validate_lookup(PLATE, "CA"), validate_lookup("8XYZ999", "NY")])

    assert len(stub.calls) == 1
    assert sleeps.waits == []
    assert summary.stop_reason is StopReason.NOT_SUBSCRIBED
    assert NOT_SUBSCRIBED in summary.stop_message
    assert [r.outcome for r in summary.results] == [Outcome.NOT_LOOKED_UP, Outcome.NOT_LOOKED_UP]
    assert summary.results[1].message == summary.stop_message


def test_429_is_retried_after_at_least_the_retry_after_header(open_enricher, stub, sleeps):
    stub.script_plate(PLATE, Reply.rate_limited(retry_after="2", reset=None))

    result = open_enricher().lookup(validate_lookup(PLATE, "CA"))

    assert result.outcome is Outcome.FETCHED
    assert (result.calls, result.retries) == (2, 1)
    assert len(sleeps.waits) == 1
    assert sleeps.waits[0] >= 2.0


def test_429_is_retried_after_at_least_the_x_ratelimit_reset_header(open_enricher, stub, sleeps):
    stub.script_plate(PLATE, Reply.rate_limited(retry_after=None, reset="3"))

    open_enricher().lookup(validate_lookup(PLATE, "CA"))

    assert sleeps.waits[0] >= 3.0


def test_retry_after_as_an_http_date_is_honoured(open_enricher, stub, sleeps, clock):
    stub.script_plate(PLATE, Reply.rate_limited(retry_after="Sun, 29 Nov 2026 06:00:04 GMT", reset=None))

    open_enricher().lookup(validate_lookup(PLATE, "CA"))

    assert sleeps.waits[0] >= 4.0


def test_a_server_wait_hint_is_capped_by_max_wait(open_enricher, stub, sleeps):
    stub.script_plate(PLATE, Reply.rate_limited(retry_after="3600", reset=None))

    open_enricher(max_wait_s=1.5).lookup(validate_lookup(PLATE, "CA"))

    assert sleeps.waits == [1.5]


def test_5xx_is_retried_with_growing_backoff_until_success(open_enricher, stub, sleeps):
    stub.script_plate(PLATE, Reply.server_error(502), Reply.server_error(503), Reply.server_error(500))

    result = open_enricher(backoff_initial_s=0.1, backoff_max_s=10).lookup(validate_lookup(PLATE, "CA"))

    assert result.outcome is Outcome.FETCHED
    assert result.retries == 3
    assert len(sleeps.waits) == 3
    assert sleeps.waits == sorted(sleeps.waits)
    assert sleeps.waits[-1] > sleeps.waits[0]


def test_backoff_has_jitter(open_enricher, stub, sleeps):
    stub.script_plate(PLATE, *[Reply.server_error()] * 3)

    open_enricher(backoff_initial_s=0.1, backoff_max_s=10, backoff_jitter_s=1.0).lookup(validate_lookup(PLATE, "CA"))

    exponential = [0.1, 0.2, 0.4]
    extras = [wait - base for wait, base in zip(sleeps.waits, exponential, strict=True)]
    assert all(0 <= extra <= 1.0 for extra in extras)
    assert len(set(extras)) > 1


def test_5xx_beyond_max_attempts_fails_the_lookup_and_the_run_goes_on(open_enricher, stub):
    stub.script_plate(PLATE, *[Reply.server_error()] * 5)
    enricher = open_enricher(max_attempts=3)

    summary = enricher.run([validate_lookup(PLATE, "CA"), validate_lookup("8XYZ999", "NY")])

    assert [r.outcome for r in summary.results] == [Outcome.FAILED, Outcome.FETCHED]
    assert (summary.stop_reason, summary.stop_message) == (None, None)
    assert summary.results[0].calls == 3
    assert "no valuation after 3 attempts" in summary.results[0].message
    assert "server error 503" in summary.results[0].message
    assert len(stub.calls) == 4


def test_a_slow_answer_times_out_and_is_retried(open_enricher, stub):
    stub.script_plate(PLATE, Reply.slow(2.0))

    started = time.perf_counter()
    result = open_enricher(read_timeout_s=0.4).lookup(validate_lookup(PLATE, "CA"))

    assert result.outcome is Outcome.FETCHED
    assert result.retries >= 1
    assert time.perf_counter() - started < 2.0


def test_a_connection_error_is_retried_then_fails_with_its_kind_only(lake, clock, sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    enricher = ValuationEnricher.open(
        lake, fast_settings(f"http://127.0.0.1:{closed_port}", max_attempts=2), API_KEY, clock=clock, sleep=sleeps
    )

    result = enricher.lookup(validate_lookup(PLATE, "CA"))

    assert result.outcome is Outcome.FAILED
    assert result.calls == 2
    assert "connection failed (ConnectionError)" in result.message
    assert PLATE not in result.message


def test_malformed_json_fails_the_lookup_without_retry_and_is_not_cached(open_enricher, stub, lake):
    stub.script_plate(PLATE, Reply.malformed())

    result = open_enricher().lookup(validate_lookup(PLATE, "CA"))

    assert result.outcome is Outcome.FAILED
    assert result.calls == 1
    assert "not valid JSON" in result.message
    assert list(lake.list_keys("raw/vehicle_valuations/")) == []


def test_an_unexpected_4xx_fails_the_lookup_without_retry(open_enricher, stub):
    stub.script_plate(PLATE, Reply.not_found())

    result = open_enricher().lookup(validate_lookup(PLATE, "CA"))

    assert result.outcome is Outcome.FAILED
    assert result.calls == 1
    assert "404" in result.message


def test_the_breaker_opens_after_consecutive_failures_and_short_circuits_later_lookups(open_enricher, stub):
    plates = ["1AAA111", "2BBB222", "3CCC333"]
    stub.script_plate(plates[0], *[Reply.server_error()] * 2)
    stub.script_plate(plates[1], *[Reply.server_error()] * 2)
    enricher = open_enricher(max_attempts=2, breaker_failure_threshold=3)

    summary = enricher.run([validate_lookup(plate, "CA") for plate in plates])

    assert len(stub.calls) == 3
    assert [r.outcome for r in summary.results] == [Outcome.FAILED] * 3
    assert "circuit breaker open after 3 consecutive failed requests" in summary.results[1].message
    assert summary.results[2].calls == 0
    assert "short-circuited" in summary.results[2].message
    assert enricher.client.breaker_state == "open"


def test_a_429_does_not_count_as_a_breaker_failure(open_enricher, stub):
    stub.script_plate(PLATE, *[Reply.rate_limited()] * 3)

    result = open_enricher(breaker_failure_threshold=2).lookup(validate_lookup(PLATE, "CA"))

    assert result.outcome is Outcome.FETCHED
    assert result.retries == 3


def test_the_client_side_rate_limit_spaces_requests_per_window(lake, clock, sleeps):
    with RapidApiStub(api_key=API_KEY) as server:
        settings = fast_settings(server.base_url, requests_per_window=2, rate_window_ms=300)
        enricher = ValuationEnricher.open(lake, settings, API_KEY, clock=clock, sleep=sleeps)
        plates = ["1AAA111", "2BBB222", "3CCC333"]

        started = time.perf_counter()
        enricher.run([validate_lookup(plate, "CA") for plate in plates])
        elapsed = time.perf_counter() - started

    assert len(server.calls) == 3
    assert elapsed >= 0.25


def test_a_non_json_5xx_body_is_reported_by_its_text(open_enricher, stub):
    stub.script_plate(PLATE, *[Reply(status=502, raw_body=b"<html>bad gateway</html>")] * 2)

    result = open_enricher(max_attempts=2).lookup(validate_lookup(PLATE, "CA"))

    assert result.outcome is Outcome.FAILED
    assert "server error 502" in result.message


def test_an_error_body_without_message_is_reported_by_its_text(open_enricher, stub):
    stub.script_plate(PLATE, Reply(status=400, body={"error": "bad state"}))

    result = open_enricher().lookup(validate_lookup(PLATE, "CA"))

    assert '{"error": "bad state"}' in result.message


def test_an_unreadable_retry_after_falls_back_to_the_backoff(open_enricher, stub, sleeps):
    stub.script_plate(PLATE, Reply.rate_limited(retry_after="soon", reset="later"))

    result = open_enricher(backoff_initial_s=0.1, backoff_max_s=1).lookup(validate_lookup(PLATE, "CA"))

    assert result.outcome is Outcome.FETCHED
    assert sleeps.waits == [0.1]
