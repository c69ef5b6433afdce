"""The vehicle valuation API's monthly budget alarm: the subscription costs money per call."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from constructs import Construct

from etl.enrich.vehicle_valuation.budget import CALLS_THIS_MONTH
from etl.enrich.vehicle_valuation.settings import DATASET
from modules.valuation.props import ValuationBudgetProps

# The job runs once a day: one datapoint a day, so the alarm looks at whole days.
DAY_SECONDS = 86_400


class ValuationBudget(Construct):
    """An alarm when this month's API calls reach ``alarm_percent`` of the monthly budget, as the enrichment job
    reports them after each run; to the alert topic on alarm and on recovery (a new month).

    Exposes ``alarm``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ValuationBudgetProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.alarm = CloudwatchMetricAlarm(
            self,
            "budget-alarm",
            alarm_name=f"{props.name_prefix}-valuation-budget",
            alarm_description=(
                f"Vehicle valuation API calls this month reached {props.alarm_percent}% of the budget of "
                f"{props.monthly_call_budget}. Runbook: {props.runbook_url}#the-monthly-call-budget-is-80-percent-spent"
            ),
            namespace=props.metrics_namespace,
            metric_name=CALLS_THIS_MONTH,
            dimensions={"Dataset": DATASET},
            statistic="Maximum",
            period=DAY_SECONDS,
            evaluation_periods=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=props.alarm_threshold,
            treat_missing_data="notBreaching",
            actions_enabled=True,
            alarm_actions=[props.alert_topic_arn],
            ok_actions=[props.alert_topic_arn],
        )
