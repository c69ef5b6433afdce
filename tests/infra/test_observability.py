"""Alerts, log groups and the dashboard, read from the synthesized stacks."""

from __future__ import annotations

import json

import pytest

from modules.observability import GLUE_FAILURE_STATES, AlarmThresholds, AlertSubscriber, ObservabilityProps
from scripts.report_serving import alarm_rows

EXPECTED_ALARMS = {
    "rds-cpu",
    "rds-free-storage",
    "rds-connections",
    "alb-5xx",
    "alb-target-5xx",
    "alb-unhealthy-targets",
    "asg-in-service",
}


def _env(stack, environments):
    return environments[stack.name.removeprefix("northwind-")]


def _own(stack, resource_type: str) -> dict[str, dict]:
    """This construct's resources of one type (the processing construct adds pipeline alarms and rules)."""
    return {
        name: body
        for name, body in stack.resources(resource_type).items()
        if body["//"]["metadata"]["path"].startswith(f"{stack.name}/observability/")
    }


def _one_own(stack, resource_type: str) -> dict:
    (body,) = _own(stack, resource_type).values()
    return body


def _alarms(stack) -> dict[str, dict]:
    """The alarms of the observability construct (other capabilities add their own)."""
    return {
        a["alarm_name"].removeprefix(f"{stack.name}-"): a for a in _own(stack, "aws_cloudwatch_metric_alarm").values()
    }


def test_every_log_group_is_encrypted_and_expires(stack):
    for group in stack.resources("aws_cloudwatch_log_group").values():
        assert group["kms_key_id"].startswith("${aws_kms_key.") and group["retention_in_days"] > 0


def test_the_alert_topic_is_encrypted_with_its_own_rotating_key(stack):
    topic = stack.one("aws_sns_topic")
    key_name = topic["kms_master_key_id"].split(".")[1]
    key = stack.resources("aws_kms_key")[key_name]
    assert key["tags"]["purpose"] == "alerts" and key["enable_key_rotation"] is True


def test_the_alert_key_lets_cloudwatch_publish_only_for_this_environments_alarms(stack, environments):
    env = _env(stack, environments)
    key = next(k for k in stack.resources("aws_kms_key").values() if k["tags"]["purpose"] == "alerts")
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
    condition = statements["CloudWatchAlarmsOfThisEnvironmentPublish"]["Condition"]
    assert (
        condition["ArnLike"]["aws:SourceArn"]
        == f"arn:aws:cloudwatch:{env.region}:{env.account_id}:alarm:{stack.name}-*"
    )
    # EventBridge's KMS requests carry no source account or ARN: only the topic's encryption context confines it.
    assert set(statements["EventBridgePublishesToTheAlertTopic"]["Condition"]["StringEquals"]) == {
        "kms:EncryptionContext:aws:sns:topicArn"
    }


def test_every_metric_alarm_exists_and_notifies_the_topic_on_alarm_and_recovery(stack):
    alarms = _alarms(stack)
    assert set(alarms) == EXPECTED_ALARMS
    topic = f"${{aws_sns_topic.{next(iter(stack.resources('aws_sns_topic')))}.arn}}"
    assert all(a["alarm_actions"] == [topic] == a["ok_actions"] and a["actions_enabled"] for a in alarms.values())


def test_thresholds_come_from_the_environment_definition(stack, environments):
    env, alarms = _env(stack, environments), _alarms(stack)
    assert alarms["rds-cpu"]["threshold"] == env.alarms.rds_cpu_percent
    assert alarms["rds-free-storage"]["threshold"] == env.alarms.rds_free_storage_gib * 1024**3
    assert alarms["rds-connections"]["threshold"] == env.alarms.rds_max_connections
    assert alarms["alb-5xx"]["threshold"] == alarms["alb-target-5xx"]["threshold"] == env.alarms.alb_5xx_per_5_minutes
    assert alarms["alb-unhealthy-targets"]["threshold"] == env.alarms.alb_unhealthy_targets
    assert alarms["asg-in-service"]["threshold"] == env.compute.min_size
    assert all(a["evaluation_periods"] == env.alarms.evaluation_periods for a in alarms.values())


def test_production_alerts_on_fewer_5xx_than_development(synthesized):
    assert _alarms(synthesized["prod"])["alb-5xx"]["threshold"] < _alarms(synthesized["dev"])["alb-5xx"]["threshold"]


def test_failed_timed_out_or_errored_runs_of_jobs_no_pipeline_runs_reach_the_topic(stack):
    """A pipeline's step is retried by its pipeline, which alerts if the run still fails; a failed attempt that
    recovers pages nobody. Jobs started by hand (the serving bootstrap, the erasure) alert on their own runs."""
    rule = _one_own(stack, "aws_cloudwatch_event_rule")
    pattern = json.loads(rule["event_pattern"])
    assert pattern["detail-type"] == ["Glue Job State Change"]
    assert pattern["detail"]["state"] == list(GLUE_FAILURE_STATES) == ["FAILED", "TIMEOUT", "ERROR"]
    jobs = {
        f"${{aws_glue_job.{address}.name}}": job["name"] for address, job in stack.resources("aws_glue_job").items()
    }
    started_by_hand = {f"{stack.name}-bootstrap-serving", f"{stack.name}-erase-customer"}
    assert {jobs[name] for name in pattern["detail"]["jobName"]} == started_by_hand
    steps = {
        state["Parameters"]["JobName"]
        for machine in stack.resources("aws_sfn_state_machine").values()
        for state in json.loads(machine["definition"])["States"].values()
        if state["Type"] == "Task"
    }
    assert steps.isdisjoint(pattern["detail"]["jobName"]) and steps | set(pattern["detail"]["jobName"]) == set(jobs)
    assert _one_own(stack, "aws_cloudwatch_event_target")["arn"].startswith("${aws_sns_topic.")


def test_only_this_environments_rules_and_alarms_may_publish_to_the_topic(stack, environments):
    env = _env(stack, environments)
    policy = json.loads(stack.one("aws_sns_topic_policy")["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    rules = statements["EventBridgeRulesOfThisEnvironment"]
    assert rules["Principal"] == {"Service": "events.amazonaws.com"}
    assert rules["Condition"] == {
        "StringEquals": {"aws:SourceAccount": env.account_id},
        "ArnLike": {"aws:SourceArn": f"arn:aws:events:{env.region}:{env.account_id}:rule/{stack.name}-*"},
    }
    assert all(r["name"].startswith(f"{stack.name}-") for r in stack.resources("aws_cloudwatch_event_rule").values())
    alarms = statements["CloudWatchAlarmsOfThisEnvironment"]["Condition"]
    assert alarms["StringEquals"]["aws:SourceAccount"] == env.account_id


def test_the_topic_is_subscribed_exactly_by_the_environments_subscriptions(stack, environments):
    wanted = [(s.protocol.value, s.endpoint) for s in _env(stack, environments).alarms.subscriptions]
    subscribed = [(s["protocol"], s["endpoint"]) for s in stack.resources("aws_sns_topic_subscription").values()]
    assert subscribed == wanted


def test_the_dashboard_shows_glue_database_insights_load_balancer_and_scaling(stack):
    dashboard = _one_own(stack, "aws_cloudwatch_dashboard")
    body = json.loads(dashboard["dashboard_body"])
    text = json.dumps(body)
    for metric in (
        "glue.driver.aggregate.numFailedTasks",
        "DBLoad",
        "CPUUtilization",
        "HTTPCode_ELB_5XX_Count",
        "UnHealthyHostCount",
        "GroupInServiceInstances",
    ):
        assert metric in text
    alarm_widget = next(w for w in body["widgets"] if w["type"] == "alarm")
    assert len(alarm_widget["properties"]["alarms"]) == len(EXPECTED_ALARMS)


def test_the_report_lists_every_alarm_with_its_action(stack):
    rows = alarm_rows(stack.config)
    alarms = stack.resources("aws_cloudwatch_metric_alarm")
    # Rules that start the landing function are not alerts; every other rule alerts the topic.
    alerting = [
        t for t in stack.resources("aws_cloudwatch_event_target").values() if t["arn"].startswith("${aws_sns_topic.")
    ]
    assert len(rows) == len(alarms) + len(alerting) and len(alarms) > len(EXPECTED_ALARMS)
    assert all(row.action == f"SNS {stack.name}-alerts" for row in rows)


def _props(**changes) -> ObservabilityProps:
    thresholds = AlarmThresholds(80, 5, 80, 10, 1, 2)
    values = dict(
        name_prefix="northwind-x",
        account_id="1" * 12,
        region="eu-west-2",
        key_admin_role_arns=("arn:aws:iam::111111111111:role/admin",),
        break_glass_role_arn="arn:aws:iam::111111111111:role/break-glass",
        logs_kms_key_arn="k",
        log_retention_days=30,
        thresholds=thresholds,
        subscribers=(AlertSubscriber("email", "oncall@northwind.example"),),
    )
    return ObservabilityProps(**{**values, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"key_admin_role_arns": ()}, "key_admin_role_arns"), ({"subscribers": ()}, "at least one subscriber")],
)
def test_observability_props_refuse_invalid_values_naming_the_field(changes, message):
    with pytest.raises(ValueError, match=message):
        _props(**changes)


def test_alarm_thresholds_refuse_a_cpu_percentage_above_100():
    with pytest.raises(ValueError, match="rds_cpu_percent"):
        AlarmThresholds(101, 5, 80, 10, 1, 2)


def test_a_subscriber_must_be_an_email_address_or_an_https_url():
    with pytest.raises(ValueError, match="not an e-mail address"):
        AlertSubscriber("email", "oncall")
    with pytest.raises(ValueError, match="not an https:// URL"):
        AlertSubscriber("https", "http://pager.example/hook")
    with pytest.raises(ValueError, match="use email or https"):
        AlertSubscriber("sms", "+440000")


def test_the_report_command_prints_database_compute_and_alarm_tables_from_the_synthesized_json(synthesized):
    from typer.testing import CliRunner

    from scripts.report_serving import app

    outdir = synthesized["dev"].path.parents[2]
    result = CliRunner().invoke(app, ["--outdir", str(outdir)], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    for title in (
        "Serving database (RDS) per environment",
        "Compute tier per environment",
        "Alarms per environment",
        "Alarm and alert runbooks per environment",
    ):
        assert title in result.output
    assert "northwind-prod-glue-job-failures" in result.output and "< 5 GiB" in result.output
    assert "docs/runbooks/serving-database.md#database-cpu-high" in result.output


def test_the_report_command_names_an_output_folder_it_cannot_read(tmp_path):
    from typer.testing import CliRunner

    from scripts.report_serving import app

    for env in ("dev", "stage", "prod"):
        stack_dir = tmp_path / "stacks" / f"northwind-{env}"
        stack_dir.mkdir(parents=True)
        (stack_dir / "cdk.tf.json").write_text("{}")
    result = CliRunner().invoke(app, ["--outdir", str(tmp_path)])
    assert result.exit_code == 1
    assert "does not hold the stacks this report reads" in result.output
