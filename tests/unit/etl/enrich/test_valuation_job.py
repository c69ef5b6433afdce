"""The scheduled valuation job: the requested plates within the month's budget, and the month's spend as metrics.

moto's in-process double stands in for Secrets Manager and CloudWatch; the RapidAPI stub serves real HTTP.
"""

from __future__ import annotations

from datetime import date

import boto3
import pytest
from moto import mock_aws

from etl.enrich.vehicle_valuation.enricher import Outcome
from etl.enrich.vehicle_valuation.limits import MonthlyUsage
from etl.jobs import JobArgumentError
from etl.jobs.ingest_vehicle_valuations import PLATES_KEY, ValuationJobArgs, main
from tests.unit.etl.enrich.conftest import API_KEY

NAMESPACE = "Northwind/Pipeline"


def _raw(base_url: str, secret_arn: str, **changes: str) -> dict[str, str]:
    return {
        "run_date": "2026-11-29",
        "lake_bucket": "lake",
        "lake_kms_key_id": "alias/lake",
        "rapidapi_secret_id": secret_arn,
        "valuation_base_url": base_url,
        "monthly_call_budget": "10",
        "run_call_budget": "5",
        "cost_per_call_usd": "0.25",
        "metrics_namespace": NAMESPACE,
    } | changes


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    with mock_aws():
        secret = boto3.client("secretsmanager").create_secret(Name="northwind-unit/rapidapi", SecretString=API_KEY)
        yield secret["ARN"], boto3.client("cloudwatch")


def _metrics(cloudwatch) -> dict[str, float]:
    found = {}
    for metric in cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]:
        stats = cloudwatch.get_metric_statistics(
            Namespace=NAMESPACE,
            MetricName=metric["MetricName"],
            Dimensions=metric["Dimensions"],
            StartTime="2026-01-01T00:00:00Z",
            EndTime="2027-12-31T00:00:00Z",
            Period=86400 * 366,
            Statistics=["Maximum"],
        )["Datapoints"]
        found[metric["MetricName"]] = max(point["Maximum"] for point in stats)
    return found


def test_the_job_values_the_requested_plates_and_publishes_the_months_spend(aws, stub, lake, clock):
    secret, cloudwatch = aws
    lake.put_bytes(PLATES_KEY, b"plate,state\n7ABC123,CA\nXYZ987,TX\nnot a plate!,ZZ\n")
    args = ValuationJobArgs.parse(_raw(stub.base_url, secret))

    summary = main(args, lake, cloudwatch, clock=clock)

    assert summary.count(Outcome.FETCHED) == 2 and len(summary.invalid_inputs) == 1
    assert len(stub.calls) == 2
    metrics = _metrics(cloudwatch)
    assert metrics["ValuationCalls"] == 2 and metrics["ValuationCallsThisMonth"] == 2
    assert metrics["ValuationEstimatedCostUsdThisMonth"] == pytest.approx(0.5)
    assert metrics["ValuationBudgetUsedPercent"] == pytest.approx(20.0)


def test_once_the_months_budget_is_spent_the_job_makes_no_call_and_says_why(aws, stub, lake, clock):
    secret, cloudwatch = aws
    lake.put_bytes(PLATES_KEY, b"7ABC123,CA\n")
    MonthlyUsage("2026-11", calls_made=10, billable_calls=10).save(lake)

    summary = main(ValuationJobArgs.parse(_raw(stub.base_url, secret)), lake, cloudwatch, clock=clock)

    assert stub.calls == []
    assert summary.count(Outcome.NOT_LOOKED_UP) == 1
    assert "run budget of 0 API call(s) reached" in summary.stop_message
    assert _metrics(cloudwatch)["ValuationBudgetUsedPercent"] == pytest.approx(100.0)


def test_without_a_plates_file_the_job_calls_nothing_and_still_reports(aws, stub, lake, clock):
    secret, cloudwatch = aws
    summary = main(ValuationJobArgs.parse(_raw(stub.base_url, secret)), lake, cloudwatch, clock=clock)
    assert (summary.calls_made, len(stub.calls)) == (0, 0)
    assert _metrics(cloudwatch)["ValuationCallsThisMonth"] == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cost_per_call_usd": "ten cents"}, "--cost_per_call_usd 'ten cents' is not a number"),
        ({"monthly_call_budget": "0"}, "--monthly_call_budget must be 1 or more"),
        ({"run_call_budget": "many"}, "--run_call_budget 'many' is not a whole number"),
        ({"run_date": ""}, "missing job argument.s.: --run_date"),
    ],
)
def test_bad_arguments_are_one_line_naming_the_argument(changes, message):
    with pytest.raises(JobArgumentError, match=message):
        ValuationJobArgs.parse(_raw("https://api.example", "arn:aws:secretsmanager:eu-west-2:1:secret:x", **changes))


def test_the_arguments_parse_into_the_months_budget():
    args = ValuationJobArgs.parse(_raw("https://api.example", "arn"))
    assert (args.run_date, args.budget.monthly_calls, args.budget.run_calls) == (date(2026, 11, 29), 10, 5)
