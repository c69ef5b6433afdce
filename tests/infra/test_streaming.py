"""The clickstream stream: Firehose staging hourly in the raw zone, encrypted, errors to quarantine, producers."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from modules.streaming import ERROR_PREFIX, RAW_PREFIX, ClickstreamProps
from tests.conftest import REPO_ROOT

# Firehose's limit on a delivery stream name.
STREAM_NAME_LIMIT = 64
RUNBOOK_LINK = re.compile(r"Runbook: (docs/runbooks/[\w.-]+\.md)#([\w-]+)")


def _env(stack, environments):
    return environments[stack.name.removeprefix("northwind-")]


def _stream(stack) -> dict:
    return stack.one("aws_kinesis_firehose_delivery_stream")


def _role(stack, reference: str) -> dict:
    return stack.resources("aws_iam_role")[reference.split(".")[1]]


def _key_ref(stack, purpose: str) -> str:
    (name,) = [k for k, b in stack.resources("aws_kms_key").items() if b["tags"].get("purpose") == purpose]
    return f"${{aws_kms_key.{name}.arn}}"


def _evaluate(prefix: str, moment: datetime) -> str:
    """A Firehose prefix as Firehose evaluates it for a record that arrived at ``moment`` (UTC)."""
    java_to_strftime = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H"}

    def evaluate(match: re.Match) -> str:
        pattern = match.group(1)
        for java, python in java_to_strftime.items():
            pattern = pattern.replace(java, python)
        return moment.strftime(pattern)

    return re.sub(r"!\{timestamp:([^}]+)\}", evaluate, prefix)


def test_the_stream_is_direct_put_and_encrypted_at_rest_with_the_lake_key(stack):
    stream = _stream(stack)
    assert "kinesis_source_configuration" not in stream
    assert stream["server_side_encryption"] == {
        "enabled": True,
        "key_type": "CUSTOMER_MANAGED_CMK",
        "key_arn": _key_ref(stack, "lake"),
    }
    assert len(stream["name"]) <= STREAM_NAME_LIMIT


def test_events_are_staged_hourly_in_the_raw_zone_as_gzip_json_lines_encrypted_with_the_lake_key(stack, environments):
    env = _env(stack, environments)
    destination = _stream(stack)["extended_s3_configuration"]
    assert destination["bucket_arn"] == "${aws_s3_bucket.lake_bucket_666EA5BD.arn}"
    assert destination["prefix"] == RAW_PREFIX
    assert (destination["compression_format"], destination["file_extension"]) == ("GZIP", ".jsonl.gz")
    assert destination["kms_key_arn"] == _key_ref(stack, "lake")
    assert destination["custom_time_zone"] == "UTC"
    assert destination["buffering_interval"] == env.clickstream.buffer_interval_seconds
    assert destination["buffering_size"] == env.clickstream.buffer_size_mib


def test_firehose_stages_by_arrival_hour_inside_the_datasets_raw_prefix_outside_its_partitions():
    moment = datetime(2026, 11, 30, 7, 42)
    assert _evaluate(RAW_PREFIX, moment) == "raw/clickstream_events/_staging/date=2026-11-30/hour=07/"


def test_undeliverable_records_go_to_the_datasets_quarantine_by_error_type(stack):
    destination = _stream(stack)["extended_s3_configuration"]
    # Firehose requires an error prefix whenever the prefix holds expressions.
    assert destination["error_output_prefix"] == ERROR_PREFIX
    assert ERROR_PREFIX.startswith("quarantine/clickstream_events/")
    assert "!{firehose:error-output-type}" in ERROR_PREFIX
    # Without dynamic partitioning Firehose accepts only the timestamp and firehose namespaces.
    assert "dynamic_partitioning_configuration" not in destination
    assert not re.search(r"!\{partitionKeyFrom", RAW_PREFIX + ERROR_PREFIX)
    assert RAW_PREFIX.endswith("/") and ERROR_PREFIX.endswith("/")


def test_firehose_assumes_the_delivery_role_only_for_this_stream_and_writes_only_the_datasets_prefixes(
    stack, environments
):
    env = _env(stack, environments)
    stream = _stream(stack)
    role = _role(stack, stream["extended_s3_configuration"]["role_arn"])
    (trust,) = json.loads(role["assume_role_policy"])["Statement"]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": env.account_id}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:firehose:{env.region}:{env.account_id}:deliverystream/{stream['name']}"
    )
    (policy,) = [b for b in stack.resources("aws_iam_role_policy").values() if b["name"] == "stage-clickstream"]
    statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    lake = stream["extended_s3_configuration"]["bucket_arn"]
    assert set(statements["WriteClickstreamObjects"]["Resource"]) == {
        f"{lake}/raw/clickstream_events/_staging/*",
        f"{lake}/quarantine/clickstream_events/delivery_errors/*",
    }


def test_the_lake_key_admits_firehose_as_a_service_of_this_account(stack):
    (key,) = [b for b in stack.resources("aws_kms_key").values() if b["tags"].get("purpose") == "lake"]
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
    via = statements["UseThroughServicesInThisAccount"]["Condition"]["StringLike"]["kms:ViaService"]
    assert "firehose.eu-west-2.amazonaws.com" in via


def test_only_the_producer_role_may_put_records_and_only_the_web_shops_roles_may_assume_it(stack, environments):
    env = _env(stack, environments)
    (producer_name, producer) = next(
        (k, b) for k, b in stack.resources("aws_iam_role").items() if b["name"].endswith("-clickstream-producer")
    )
    (trust,) = json.loads(producer["assume_role_policy"])["Statement"]
    accounts = sorted({arn.split(":")[4] for arn in env.clickstream.producer_role_arns})
    assert trust["Principal"] == {"AWS": [f"arn:aws:iam::{account}:root" for account in accounts]}
    assert trust["Condition"] == {"ArnEquals": {"aws:PrincipalArn": list(env.clickstream.producer_role_arns)}}
    put = [
        (body, statement)
        for body in stack.resources("aws_iam_role_policy").values()
        for statement in json.loads(body["policy"])["Statement"]
        if any(action.startswith("firehose:Put") for action in statement["Action"])
    ]
    (stream_name,) = stack.resources("aws_kinesis_firehose_delivery_stream")
    assert [(body["role"], s["Resource"]) for body, s in put] == [
        (f"${{aws_iam_role.{producer_name}.id}}", [f"${{aws_kinesis_firehose_delivery_stream.{stream_name}.arn}}"])
    ]


def test_late_delivery_and_delivery_errors_alarm_to_the_alert_topic(stack):
    alarms = {b["alarm_name"].split("-", 2)[2]: b for b in stack.resources("aws_cloudwatch_metric_alarm").values()}
    late, errors = alarms["clickstream-delivery-late"], alarms["clickstream-delivery-errors"]
    assert (late["namespace"], late["metric_name"]) == ("AWS/Firehose", "DeliveryToS3.DataFreshness")
    assert late["dimensions"] == {"DeliveryStreamName": _stream(stack)["name"]}
    (log_filter,) = stack.resources("aws_cloudwatch_log_metric_filter").values()
    assert (
        log_filter["log_group_name"]
        == _stream(stack)["extended_s3_configuration"]["cloudwatch_logging_options"]["log_group_name"]
    )
    assert errors["metric_name"] == log_filter["metric_transformation"]["name"]
    (topic,) = stack.resources("aws_sns_topic")
    for alarm in (late, errors):
        assert alarm["alarm_actions"] == alarm["ok_actions"] == [f"${{aws_sns_topic.{topic}.arn}}"]


def _anchors(path) -> set[str]:
    headings = [line.lstrip("#").strip() for line in path.read_text().splitlines() if line.startswith("#")]
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_every_alarm_that_links_a_runbook_links_a_section_that_exists(stack):
    linked = 0
    for alarm in stack.resources("aws_cloudwatch_metric_alarm").values():
        for path, anchor in RUNBOOK_LINK.findall(alarm.get("alarm_description", "")):
            assert anchor in _anchors(REPO_ROOT / path), f"{alarm['alarm_name']}: {path}#{anchor} does not exist"
            linked += 1
    assert linked >= 2


def test_producers_must_be_roles_and_buffers_within_firehoses_limits():
    base = {
        "name_prefix": "northwind-unit",
        "account_id": "111111111111",
        "region": "eu-west-2",
        "lake_bucket_arn": "arn:aws:s3:::lake",
        "lake_kms_key_arn": "arn:aws:kms:eu-west-2:111111111111:key/lake",
        "logs_kms_key_arn": "arn:aws:kms:eu-west-2:111111111111:key/logs",
        "log_retention_days": 30,
        "alert_topic_arn": "arn:aws:sns:eu-west-2:111111111111:alerts",
    }
    with pytest.raises(ValueError, match="producer_role_arns"):
        ClickstreamProps(**base, producer_role_arns=("arn:aws:iam::111111111111:user/me",))
    with pytest.raises(ValueError, match="60-900 seconds"):
        ClickstreamProps(**base, producer_role_arns=("arn:aws:iam::111111111111:role/web",), buffer_interval_seconds=30)
