"""Cost control and audit: run budget, monthly quota and counters, the audit trail."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from etl.enrich.vehicle_valuation.enricher import Outcome, StopReason
from etl.enrich.vehicle_valuation.limits import MonthlyUsage, QuotaStatus
from etl.enrich.vehicle_valuation.validation import validate_lookup
from tests.support.rapidapi_stub import QUOTA_EXCEEDED, Reply

PLATES = ["1AAA111", "2BBB222", "3CCC333", "4DDD444"]


def requests_for(plates):
    return [validate_lookup(plate, "CA") for plate in plates]


def test_the_run_budget_stops_calling_and_reports_the_remaining_plates_as_not_looked_up(open_enricher, stub):
    stub.script_plate(PLATES[0], Reply.server_error())

    summary = open_enricher(run_budget=3).run(requests_for(PLATES))

    assert len(stub.calls) == 3
    assert summary.calls_made == 3
    assert [r.outcome for r in summary.results] == [
        Outcome.FETCHED,
        Outcome.FETCHED,
        Outcome.NOT_LOOKED_UP,
        Outcome.NOT_LOOKED_UP,
    ]
    assert summary.stop_reason is StopReason.BUDGET
    assert summary.budget_stops == 2
    assert "run budget of 3 API call(s) reached" in summary.stop_message
    assert all(r.message == summary.stop_message for r in summary.results[2:])


def test_after_a_budget_stop_cached_plates_are_still_served(open_enricher, stub):
    open_enricher().lookup(validate_lookup(PLATES[3], "CA"))

    summary = open_enricher(run_budget=1).run(requests_for(PLATES))

    assert [r.outcome for r in summary.results] == [
        Outcome.FETCHED,
        Outcome.NOT_LOOKED_UP,
        Outcome.NOT_LOOKED_UP,
        Outcome.CACHED,
    ]
    assert len(stub.calls) == 2


def test_a_zero_budget_makes_no_call(open_enricher, stub):
    summary = open_enricher(run_budget=0).run(requests_for(PLATES[:2]))

    assert stub.calls == []
    assert summary.budget_stops == 2


def test_quota_headers_at_zero_stop_the_run_before_the_next_call(open_enricher, stub):
    stub.quota_limit = 2

    summary = open_enricher().run(requests_for(PLATES))

    assert len(stub.calls) == 2
    assert summary.stop_reason is StopReason.QUOTA
    assert (summary.quota_remaining, summary.quota_limit) == (0, 2)
    assert [r.outcome for r in summary.results[2:]] == [Outcome.NOT_LOOKED_UP] * 2
    assert "monthly quota" in summary.stop_message


def test_a_429_for_the_monthly_quota_is_not_retried_and_later_runs_do_not_call(open_enricher, stub, sleeps):
    stub.quota_limit = 0

    first = open_enricher().run(requests_for(PLATES[:1]))
    second = open_enricher().run(requests_for(PLATES[1:2]))

    assert len(stub.calls) == 1
    assert sleeps.waits == []
    assert QUOTA_EXCEEDED in first.stop_message
    assert second.stop_reason is StopReason.QUOTA
    assert second.calls_made == 0


def test_the_quota_stop_lifts_once_the_reported_reset_time_has_passed(open_enricher, stub, clock):
    stub.quota_limit = 1
    open_enricher().run(requests_for(PLATES[:2]))
    stub.quota_limit = 100
    clock.advance(timedelta(days=15))

    summary = open_enricher().run(requests_for(PLATES[1:2]))

    assert summary.results[0].outcome is Outcome.FETCHED


def test_billable_calls_are_counted_per_run_and_per_month_across_runs(open_enricher, stub, lake, clock):
    stub.script_plate(PLATES[0], Reply.rate_limited(), Reply.server_error())

    first = open_enricher().run(requests_for(PLATES[:2]))
    second = open_enricher().run(requests_for(PLATES[2:]))

    assert (first.calls_made, first.billable_calls) == (4, 3)
    assert (second.calls_made, second.billable_calls) == (2, 2)
    assert second.month_billable_calls == 5
    usage = json.loads(lake.get_bytes(MonthlyUsage.key("2026-11")))
    assert (usage["calls_made"], usage["billable_calls"]) == (6, 5)
    assert usage["quota"]["remaining"] == 1000 - 5


def test_a_new_month_starts_its_own_counter(open_enricher, stub, clock):
    open_enricher().run(requests_for(PLATES[:1]))
    clock.advance(timedelta(days=3))

    summary = open_enricher().run(requests_for(PLATES[1:2]))

    assert clock.now.strftime("%Y-%m") == "2026-12"
    assert summary.month_billable_calls == 1


def test_every_lookup_gets_an_audit_record_in_the_lake_and_the_log(open_enricher, stub, lake, caplog):
    stub.script_plate(PLATES[0], Reply.server_error())
    enricher = open_enricher(run_budget=3)
    requests = requests_for(PLATES[:3])
    enricher.lookup(requests[1])

    with caplog.at_level(logging.INFO, logger="etl.enrich.vehicle_valuation.audit"):
        enricher.run(requests)

    lines = lake.get_bytes("raw/_audit/vehicle_valuations/date=2026-11-29/run-test.jsonl").decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["outcome"] for r in records] == ["fetched", "fetched", "cached", "not_looked_up"]
    fetched_after_retry = records[1]
    assert fetched_after_retry["plate_sha256"] == requests[0].plate_sha256
    assert fetched_after_retry["state_code"] == "CA"
    assert fetched_after_retry["status_code"] == 200
    assert (fetched_after_retry["calls"], fetched_after_retry["retries"]) == (2, 1)
    assert fetched_after_retry["cache_hit"] is False
    assert fetched_after_retry["quota_remaining"] == 1000 - 3
    assert fetched_after_retry["latency_ms"] >= 0
    assert fetched_after_retry["requested_at"] == "2026-11-29T06:00:00Z"
    assert records[2]["cache_hit"] is True
    assert "budget" in records[3]["message"]
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name.endswith(".audit")]
    assert logged == records[1:]
    assert not any(plate in line for line in lines for plate in PLATES)


def test_quota_headers_that_are_not_numbers_leave_the_known_quota_unchanged(clock):
    known = QuotaStatus(limit=1000, remaining=10, resets_at=None)

    updated = known.updated({"x-ratelimit-requests-limit": "lots", "x-ratelimit-requests-remaining": "some"}, clock())

    assert updated == known
