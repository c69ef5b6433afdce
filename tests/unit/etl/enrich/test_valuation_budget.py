"""The monthly call budget: what a run may spend, and the metrics it publishes about the month."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from etl.enrich.vehicle_valuation.budget import (
    BUDGET_USED,
    CALLS,
    CALLS_THIS_MONTH,
    ESTIMATED_COST_THIS_MONTH,
    MonthlyBudget,
    budget_metrics,
)
from etl.enrich.vehicle_valuation.enricher import RunSummary
from etl.enrich.vehicle_valuation.limits import MonthlyUsage

AT = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("month_calls", "allowed"),
    [(0, 100), (850, 100), (950, 50), (1000, 0), (1200, 0)],
)
def test_a_run_spends_at_most_its_cap_and_never_more_than_the_month_has_left(month_calls, allowed):
    budget = MonthlyBudget(monthly_calls=1000, run_calls=100, cost_per_call_usd=0.01)
    assert budget.run_allowance(MonthlyUsage("2026-11", calls_made=month_calls)) == allowed


def test_the_metrics_report_the_run_the_month_its_estimated_cost_and_the_budget_used():
    budget = MonthlyBudget(monthly_calls=1000, run_calls=100, cost_per_call_usd=0.02)
    usage = MonthlyUsage("2026-11", calls_made=812, billable_calls=800)
    summary = RunSummary(calls_made=40, billable_calls=38)

    data = {datum["MetricName"]: datum for datum in budget_metrics(budget, summary, usage, AT)}

    assert data[CALLS]["Value"] == 40
    assert data[CALLS_THIS_MONTH]["Value"] == 812
    assert data[ESTIMATED_COST_THIS_MONTH]["Value"] == pytest.approx(16.0)
    assert data[BUDGET_USED]["Value"] == pytest.approx(81.2)
    assert all(d["Dimensions"] == [{"Name": "Dataset", "Value": "vehicle_valuations"}] for d in data.values())
    assert all(d["Timestamp"] == AT for d in data.values())


def test_a_budget_of_nothing_is_refused():
    with pytest.raises(ValueError, match="at least 1 call"):
        MonthlyBudget(monthly_calls=0, run_calls=1, cost_per_call_usd=0)
