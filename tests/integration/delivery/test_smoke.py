"""The smoke test after an apply: health through the load balancer's address with TLS checked against the
service's name, a dry-run Glue job and the alarms on moto, and the rollback it prints when something fails."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from scripts.promote import smoke
from scripts.promote.smoke import check_alarms, check_glue_dry_run, check_health
from tests.support.https_stub import https_stub

HOST = "analytics.dev.northwind.example"


@pytest.fixture
def aws(monkeypatch):
    """moto stands in for AWS (Glue, CloudWatch); its default account is 123456789012."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.Session(region_name="eu-west-2")


def test_health_passes_on_200_json_through_the_address_with_tls_checked_against_the_service_name(tmp_path):
    routes = {"/health": (200, {"status": "ok"}), "/health/database": (200, {"database": "ok"})}
    with https_stub(HOST, tmp_path, routes) as stub:
        results = [
            check_health("127.0.0.1", HOST, path, port=stub.port, context=stub.client_context(), attempts=1)
            for path in smoke.HEALTH_PATHS
        ]
    assert [(r.name, r.passed) for r in results] == [
        (f"GET https://{HOST}/health", True),
        (f"GET https://{HOST}/health/database", True),
    ]
    assert stub.seen_hosts == [HOST, HOST]


def test_health_fails_on_an_unhealthy_database_after_its_retries(tmp_path):
    routes = {"/health/database": (503, {"detail": "database unreachable"})}
    with https_stub(HOST, tmp_path, routes) as stub:
        result = check_health(
            "127.0.0.1",
            HOST,
            "/health/database",
            port=stub.port,
            context=stub.client_context(),
            attempts=2,
            wait_seconds=0,
        )
    assert not result.passed
    assert result.detail == 'HTTP 503 {"detail": "database unreachable"}'
    assert len(stub.seen_hosts) == 2


def test_health_fails_when_the_certificate_is_not_for_the_service_name(tmp_path):
    with https_stub("someone-else.example", tmp_path, {"/health": (200, {})}) as stub:
        result = check_health("127.0.0.1", HOST, "/health", port=stub.port, context=stub.client_context(), attempts=1)
    assert not result.passed
    assert "SSLCertVerificationError" in result.detail


def test_the_glue_job_runs_in_dry_run_mode_until_it_succeeds(aws):
    glue = aws.client("glue")
    glue.create_job(
        Name="northwind-dev-curate", Role="arn:aws:iam::123456789012:role/jobs", Command={"Name": "glueetl"}
    )
    result = check_glue_dry_run(glue, "northwind-dev-curate", poll_seconds=0, sleep=lambda _: None)
    assert result.passed, result.detail
    (run,) = glue.get_job_runs(JobName="northwind-dev-curate")["JobRuns"]
    assert run["Arguments"] == {"--dry_run": "true"}


class _FailingGlue:
    """Stands in for Glue where moto cannot: moto's job runs always succeed."""

    def __init__(self, states: list[str]) -> None:
        self.states = states

    def start_job_run(self, **kwargs):
        assert kwargs["Arguments"] == {"--dry_run": "true"}
        return {"JobRunId": "jr_1"}

    def get_job_run(self, JobName, RunId):
        state = self.states.pop(0)
        return {"JobRun": {"JobRunState": state, **({"ErrorMessage": "contract missing"} if state == "FAILED" else {})}}


def test_a_failed_or_hung_dry_run_fails_the_check_with_glues_message():
    failed = check_glue_dry_run(_FailingGlue(["RUNNING", "FAILED"]), "job", poll_seconds=0, sleep=lambda _: None)
    assert (failed.passed, failed.detail) == (False, "run jr_1 FAILED: contract missing")
    hung = check_glue_dry_run(
        _FailingGlue(["RUNNING"] * 5), "job", timeout_seconds=30, poll_seconds=10, sleep=lambda _: None
    )
    assert (hung.passed, hung.detail) == (False, "run jr_1 still RUNNING after 30 s")


def test_a_job_that_cannot_start_fails_the_check(aws):
    result = check_glue_dry_run(aws.client("glue"), "northwind-dev-missing", sleep=lambda _: None)
    assert not result.passed and result.detail.startswith("could not start:")


def _alarm(cloudwatch, name: str) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        MetricName="CPUUtilization",
        Namespace="AWS/RDS",
        Statistic="Average",
        Period=300,
        EvaluationPeriods=1,
        Threshold=80,
        ComparisonOperator="GreaterThanThreshold",
    )


def test_alarms_pass_when_ok_or_insufficient_data_and_fail_naming_any_in_alarm(aws):
    cloudwatch = aws.client("cloudwatch")
    for name in ("northwind-dev-rds-cpu", "northwind-dev-alb-5xx", "northwind-prod-rds-cpu"):
        _alarm(cloudwatch, name)
    cloudwatch.set_alarm_state(AlarmName="northwind-dev-rds-cpu", StateValue="OK", StateReason="test")
    cloudwatch.set_alarm_state(AlarmName="northwind-prod-rds-cpu", StateValue="ALARM", StateReason="other env")
    quiet = check_alarms(cloudwatch, "northwind-dev-")
    assert (quiet.passed, quiet.detail) == (True, "2 alarms OK or INSUFFICIENT_DATA")
    cloudwatch.set_alarm_state(AlarmName="northwind-dev-alb-5xx", StateValue="ALARM", StateReason="test")
    loud = check_alarms(cloudwatch, "northwind-dev-")
    assert (loud.passed, loud.detail) == (False, "1 of 2 not quiet: northwind-dev-alb-5xx (ALARM)")


def test_no_alarms_at_all_fails_the_check(aws):
    result = check_alarms(aws.client("cloudwatch"), "northwind-qa-")
    assert not result.passed and "monitoring is missing" in result.detail


PLAN = {
    "format_version": "1.2",
    "resource_changes": [
        {
            "address": "aws_s3_object.etl_wheel",
            "change": {
                "actions": ["delete", "create"],
                "before": {"key": "etl/northwind_etl-1111.whl"},
                "after": {"key": "etl/northwind_etl-2222.whl"},
            },
        },
        {
            "address": "aws_sns_topic.alerts",
            "change": {"actions": ["no-op"], "before": {"name": "a"}, "after": {"name": "a"}},
        },
        {
            "address": "aws_glue_job.curate",
            "change": {
                "actions": ["update"],
                "before": {"default_arguments": {"--extra": "glue/wheels/1111/etl.whl", "--lake_bucket": "lake"}},
                "after": {"default_arguments": {"--extra": "glue/wheels/2222/etl.whl", "--lake_bucket": "lake"}},
            },
        },
    ],
}


class _Executions:
    """Stands in for CodePipeline's execution history (moto has no action executions)."""

    def list_pipeline_executions(self, pipelineName, maxResults):
        return {"pipelineExecutionSummaries": [{"pipelineExecutionId": i} for i in ("now", "failed", "good")]}

    def list_action_executions(self, pipelineName, filter):
        status = {"now": "Failed", "failed": "Failed", "good": "Succeeded"}[filter["pipelineExecutionId"]]
        return {"actionExecutionDetails": [{"stageName": "Dev", "actionName": "SmokeTest", "status": status}]}


def test_a_failed_smoke_test_prints_the_previous_artifacts_and_the_rollback_to_the_last_passed_execution():
    previous = smoke.previous_passed_execution(_Executions(), "northwind-delivery", "Dev", current="now")
    assert previous == "good"
    text = smoke.rollback_instructions("dev", "northwind-delivery", "Dev", previous, smoke.artifact_changes(PLAN))
    assert "Promotion of dev stopped" in text
    assert "  aws_s3_object.etl_wheel key: 'etl/northwind_etl-1111.whl' (now 'etl/northwind_etl-2222.whl')" in text
    # Of a job's arguments, only the one that moved: its wheel.
    assert (
        "  aws_glue_job.curate default_arguments[--extra]: 'glue/wheels/1111/etl.whl' (now 'glue/wheels/2222/etl.whl')"
        in text
    )
    assert "--lake_bucket" not in text
    assert (
        "aws codepipeline rollback-stage --pipeline-name northwind-delivery --stage-name Dev "
        "--target-pipeline-execution-id good"
    ) in text


def test_without_a_previous_passed_execution_the_rollback_says_how_to_find_one():
    text = smoke.rollback_instructions("dev", "northwind-delivery", "Dev", None, [])
    assert "changed no release artifact" in text
    assert "--target-pipeline-execution-id <execution id: aws codepipeline list-pipeline-executions>" in text
