"""The valuation enrichment in each stack: a scheduled job before its curation, its budget from the environment
definition, the RapidAPI key readable by its role, and the alarm at 80 % of the month's budget."""

from __future__ import annotations

import json

from tests.conftest import REPO_ROOT
from tests.infra.test_streaming import RUNBOOK_LINK, _anchors


def _env(stack, environments):
    return environments[stack.name.removeprefix("northwind-")]


def _job(stack) -> tuple[str, dict]:
    (found,) = [
        (k, j) for k, j in stack.resources("aws_glue_job").items() if j["name"].endswith("-ingest-vehicle-valuations")
    ]
    return found


def test_the_job_carries_the_monthly_budget_and_price_of_its_environment(stack, environments):
    env = _env(stack, environments)
    arguments = _job(stack)[1]["default_arguments"]
    assert arguments["--monthly_call_budget"] == str(env.valuation.monthly_call_budget)
    assert arguments["--run_call_budget"] == str(env.valuation.run_call_budget)
    assert arguments["--cost_per_call_usd"] == str(env.valuation.cost_per_call_usd)
    assert arguments["--valuation_base_url"] == "https://vehicle-market-value.p.rapidapi.com"


def test_the_job_reads_the_rapidapi_secret_whose_policy_admits_its_role(stack):
    _, job = _job(stack)
    secret_ref = job["default_arguments"]["--rapidapi_secret_id"]
    secret_name = secret_ref.split(".")[1]
    assert stack.resources("aws_secretsmanager_secret")[secret_name]["name"] == f"{stack.name}/rapidapi"
    (policy,) = [
        p for p in stack.resources("aws_secretsmanager_secret_policy").values() if p["secret_arn"] == secret_ref
    ]
    readers = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}["ReadersReadTheValue"]
    assert job["role_arn"] in readers["Principal"]["AWS"]


def test_the_job_runs_on_the_contracts_schedule_before_the_datasets_curation(stack):
    name, _ = _job(stack)
    steps = []
    for machine in stack.resources("aws_sfn_state_machine").values():
        definition = json.loads(machine["definition"])
        if definition["Comment"].startswith("vehicle_valuations:"):
            task = [s for s in definition["States"].values() if s["Type"] == "Task"]
            steps = [s["Parameters"]["JobName"] for s in task]
    assert steps[0] == f"${{aws_glue_job.{name}.name}}"
    assert any("curate" in step for step in steps[1:])


def test_the_budget_alarm_fires_at_80_percent_of_the_month_and_links_its_runbook(stack, environments):
    env = _env(stack, environments)
    (alarm,) = [
        a
        for a in stack.resources("aws_cloudwatch_metric_alarm").values()
        if a["alarm_name"].endswith("-valuation-budget")
    ]
    assert alarm["threshold"] == 0.8 * env.valuation.monthly_call_budget
    assert (alarm["namespace"], alarm["metric_name"]) == ("Northwind/Pipeline", "ValuationCallsThisMonth")
    assert alarm["dimensions"] == {"Dataset": "vehicle_valuations"}
    assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["period"] * alarm["evaluation_periods"] <= 86_400  # CloudWatch evaluates at most one day at once
    ((path, anchor),) = RUNBOOK_LINK.findall(alarm["alarm_description"])
    assert anchor in _anchors(REPO_ROOT / path)
