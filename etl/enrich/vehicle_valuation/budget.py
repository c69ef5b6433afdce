"""The monthly call budget of the scheduled enrichment, and the metrics each run publishes about it.

A month's budget (``valuation.monthly_call_budget`` in the environment definition) caps the HTTP requests of a
calendar month (UTC) across runs, counted in the lake's monthly usage file (``limits.MonthlyUsage``): a run may
make at most what is left of it, and never more than the run cap. The estimated cost counts billable calls only
(see ``limits``), at the subscription's price per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from etl.enrich.vehicle_valuation.enricher import RunSummary
from etl.enrich.vehicle_valuation.limits import MonthlyUsage
from etl.enrich.vehicle_valuation.settings import DATASET

# Metric names; the budget alarm watches CALLS_THIS_MONTH.
CALLS = "ValuationCalls"
BILLABLE_CALLS = "ValuationBillableCalls"
CALLS_THIS_MONTH = "ValuationCallsThisMonth"
ESTIMATED_COST_THIS_MONTH = "ValuationEstimatedCostUsdThisMonth"
BUDGET_USED = "ValuationBudgetUsedPercent"


@dataclass(frozen=True)
class MonthlyBudget:
    """What the subscription allows a month, a run, and what a billable call costs."""

    monthly_calls: int
    run_calls: int
    cost_per_call_usd: float

    def __post_init__(self) -> None:
        if self.monthly_calls < 1 or self.run_calls < 1 or self.cost_per_call_usd < 0:
            raise ValueError("MonthlyBudget: monthly and run budgets of at least 1 call, a cost of 0 or more")

    def run_allowance(self, usage: MonthlyUsage) -> int:
        """Calls this run may make: the run cap, or what is left of the month's budget when that is less."""
        return max(0, min(self.run_calls, self.monthly_calls - usage.calls_made))

    def used_percent(self, usage: MonthlyUsage) -> float:
        """Share of the month's budget spent so far."""
        return round(100.0 * usage.calls_made / self.monthly_calls, 2)


def budget_metrics(budget: MonthlyBudget, summary: RunSummary, usage: MonthlyUsage, at: datetime) -> list[dict]:
    """The datapoints a run publishes (dimension ``Dataset``), in ``PutMetricData`` form."""
    dimensions = [{"Name": "Dataset", "Value": DATASET}]
    values = (
        (CALLS, summary.calls_made, "Count"),
        (BILLABLE_CALLS, summary.billable_calls, "Count"),
        (CALLS_THIS_MONTH, usage.calls_made, "Count"),
        (ESTIMATED_COST_THIS_MONTH, round(usage.billable_calls * budget.cost_per_call_usd, 4), "None"),
        (BUDGET_USED, budget.used_percent(usage), "Percent"),
    )
    return [
        {"MetricName": name, "Value": float(value), "Unit": unit, "Timestamp": at, "Dimensions": dimensions}
        for name, value, unit in values
    ]
