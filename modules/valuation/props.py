"""Props of the valuation budget: the month's call budget and when its alarm fires."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ValuationBudgetProps:
    """Inputs of ``ValuationBudget``.

    Attributes:
        name_prefix: ``northwind-<env>``; the alarm is ``<prefix>-valuation-budget``.
        metrics_namespace: where the enrichment job publishes its calls (the pipeline's namespace).
        monthly_call_budget: API calls allowed in a calendar month (the environment's ``valuation``).
        alert_topic_arn: where the alarm goes.
        alarm_percent: the share of the month's budget at which the alarm fires. Default: 80.
        runbook_url: the runbook the alarm links to. Default: ``docs/runbooks/vehicle-valuation.md``.
    """

    name_prefix: str
    metrics_namespace: str
    monthly_call_budget: int
    alert_topic_arn: str
    alarm_percent: int = 80
    runbook_url: str = "docs/runbooks/vehicle-valuation.md"

    def __post_init__(self) -> None:
        if self.monthly_call_budget < 1 or not 1 <= self.alarm_percent <= 100:
            raise ValueError("ValuationBudgetProps: a budget of at least 1 call and an alarm at 1-100 %")

    @property
    def alarm_threshold(self) -> float:
        """Calls this month at which the alarm fires."""
        return self.monthly_call_budget * self.alarm_percent / 100
