"""The landing function: invoked by EventBridge for SFTP arrivals and staged clickstream, one at a time, in the
VPC reaching only S3, least privilege, failures parked and alarmed."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from modules.arrivals import ArrivalLanding, ArrivalsProps, FunctionCode
from modules.arrivals.bundle import FUNCTION_DISTRIBUTIONS, LAMBDA_PROVIDED, built_function_bundle
from modules.arrivals.props import HANDLER
from tests.conftest import REPO_ROOT
from tests.infra.construct_synth import synth_construct
from tests.infra.test_streaming import RUNBOOK_LINK, _anchors

# A stand-in package: the construct only uploads what it is given.
PACKAGE = REPO_ROOT / "pyproject.toml"
# Lambda's limit on a function name.
FUNCTION_NAME_LIMIT = 64


def _props(**changes) -> ArrivalsProps:
    values = {
        "name_prefix": "northwind-unit",
        "account_id": "111111111111",
        "region": "eu-west-2",
        "code": FunctionCode(
            PACKAGE, "abc123", "northwind-unit-artifacts", "arn:aws:kms:eu-west-2:111111111111:key/lake"
        ),
        "transfer_bucket_name": "northwind-unit-transfer-111111111111",
        "transfer_bucket_arn": "arn:aws:s3:::northwind-unit-transfer-111111111111",
        "lake_bucket_name": "northwind-data-lake-unit-111111111111",
        "lake_bucket_arn": "arn:aws:s3:::northwind-data-lake-unit-111111111111",
        "staging_prefix": "raw/clickstream_events/_staging/",
        "lake_kms_key_arn": "arn:aws:kms:eu-west-2:111111111111:key/lake",
        "function_kms_key_arn": "arn:aws:kms:eu-west-2:111111111111:key/landing",
        "logs_kms_key_arn": "arn:aws:kms:eu-west-2:111111111111:key/logs",
        "log_retention_days": 30,
        "subnet_ids": ("subnet-a", "subnet-b"),
        "vpc_id": "vpc-1",
        "s3_prefix_list_id": "pl-6ca54005",
        "alert_topic_arn": "arn:aws:sns:eu-west-2:111111111111:northwind-unit-alerts",
    }
    return ArrivalsProps(**(values | changes))


@pytest.fixture(scope="module")
def construct() -> dict:
    return synth_construct(lambda scope: ArrivalLanding(scope, "arrivals", _props()))["resource"]


def _one(resources: dict, resource_type: str) -> dict:
    (body,) = resources[resource_type].values()
    return body


def test_the_function_runs_the_etl_handler_one_at_a_time_from_its_content_addressed_package(construct):
    function = _one(construct, "aws_lambda_function")
    assert function["handler"] == "etl.functions.land_arrival.handler"
    assert (function["runtime"], function["architectures"]) == ("python3.11", ["arm64"])
    (upload,) = construct["aws_s3_object"].values()
    assert (upload["bucket"], upload["key"]) == ("northwind-unit-artifacts", "functions/abc123/pyproject.toml")
    assert (upload["server_side_encryption"], upload["kms_key_id"]) == (
        "aws:kms",
        "arn:aws:kms:eu-west-2:111111111111:key/lake",
    )
    assert function["s3_key"].startswith("${aws_s3_object.")
    assert function["reserved_concurrent_executions"] == 1
    assert len(function["function_name"]) <= FUNCTION_NAME_LIMIT
    assert function["kms_key_arn"].endswith("key/landing")
    assert set(function["environment"]["variables"]) == {
        "TRANSFER_BUCKET",
        "LAKE_BUCKET",
        "LAKE_KMS_KEY_ID",
        "STAGING_PREFIX",
        "METRICS_NAMESPACE",
    }


def test_two_rules_invoke_it_for_sftp_uploads_and_staged_clickstream_and_may_invoke_nothing_else(construct):
    patterns = {
        name: json.loads(body["event_pattern"]) for name, body in construct["aws_cloudwatch_event_rule"].items()
    }
    selected = {
        (pattern["detail"]["bucket"]["name"][0], pattern["detail"]["object"]["key"][0]["prefix"])
        for pattern in patterns.values()
    }
    assert selected == {
        ("northwind-unit-transfer-111111111111", "incoming/"),
        ("northwind-data-lake-unit-111111111111", "raw/clickstream_events/_staging/"),
    }
    assert all(p["detail-type"] == ["Object Created"] and p["source"] == ["aws.s3"] for p in patterns.values())
    permissions = construct["aws_lambda_permission"].values()
    rule_arns = {f"${{aws_cloudwatch_event_rule.{name}.arn}}" for name in patterns}
    assert {p["source_arn"] for p in permissions} == rule_arns
    assert all(p["principal"] == "events.amazonaws.com" and p["source_account"] == "111111111111" for p in permissions)


def test_the_role_trusts_lambda_for_this_function_only(construct):
    role = _one(construct, "aws_iam_role")
    (trust,) = json.loads(role["assume_role_policy"])["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == (
        "arn:aws:lambda:eu-west-2:111111111111:function:northwind-unit-land-arrivals"
    )
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "111111111111"}


def test_the_role_takes_arrivals_keeps_rejections_and_writes_only_the_raw_zone(construct):
    statements = {s["Sid"]: s for s in json.loads(_one(construct, "aws_iam_role_policy")["policy"])["Statement"]}
    transfer, lake = (
        "arn:aws:s3:::northwind-unit-transfer-111111111111",
        "arn:aws:s3:::northwind-data-lake-unit-111111111111",
    )
    writes = {
        resource
        for statement in statements.values()
        if {"s3:PutObject", "s3:DeleteObject"} & set(statement["Action"])
        for resource in statement["Resource"]
    }
    assert writes == {
        f"{transfer}/incoming/*",
        f"{transfer}/rejected/*",
        f"{lake}/raw/*",
        f"{lake}/raw/clickstream_events/_staging/*",
    }
    assert statements["TakeArrivals"]["Action"] == ["s3:DeleteObject", "s3:GetObject"]
    assert statements["KeepRejectedFiles"]["Action"] == ["s3:PutObject"]


def test_the_function_reaches_only_s3_through_its_gateway(construct):
    (egress,) = construct["aws_vpc_security_group_egress_rule"].values()
    assert (egress["prefix_list_id"], egress["from_port"], egress["to_port"]) == ("pl-6ca54005", 443, 443)
    assert "aws_vpc_security_group_ingress_rule" not in construct
    config = _one(construct, "aws_lambda_function")["vpc_config"]
    assert config["subnet_ids"] == ["subnet-a", "subnet-b"]


def test_failed_landings_go_to_an_encrypted_dead_letter_queue_after_two_retries(construct):
    queue = _one(construct, "aws_sqs_queue")
    function = _one(construct, "aws_lambda_function")
    assert queue["kms_master_key_id"].endswith("key/landing")
    assert function["dead_letter_config"]["target_arn"].startswith("${aws_sqs_queue.")
    assert _one(construct, "aws_lambda_function_event_invoke_config")["maximum_retry_attempts"] == 2


def test_each_alarm_links_a_runbook_section_that_exists_and_alerts_the_topic(construct):
    alarms = {body["alarm_name"]: body for body in construct["aws_cloudwatch_metric_alarm"].values()}
    assert set(alarms) == {
        "northwind-unit-landing-failed",
        "northwind-unit-landing-dead-letters",
        "northwind-unit-arrival-rejected",
    }
    for alarm in alarms.values():
        ((path, anchor),) = RUNBOOK_LINK.findall(alarm["alarm_description"])
        assert anchor in _anchors(REPO_ROOT / path)
        assert alarm["alarm_actions"] == ["arn:aws:sns:eu-west-2:111111111111:northwind-unit-alerts"]
    assert alarms["northwind-unit-arrival-rejected"]["dimensions"] == {"Outcome": "rejected"}


def test_props_refuse_what_lambda_refuses():
    with pytest.raises(ValueError, match="function name"):
        _props(name_prefix="n" * 60)
    with pytest.raises(ValueError, match="128-10240 MiB"):
        _props(memory_mib=64)
    with pytest.raises(ValueError, match="staging_prefix"):
        _props(staging_prefix="clickstream/")
    with pytest.raises(ValueError, match="private subnet"):
        _props(subnet_ids=())


def _stack_function(stack) -> dict:
    (function,) = [
        b for b in stack.resources("aws_lambda_function").values() if b["function_name"].endswith("-land-arrivals")
    ]
    return function


def test_in_each_stack_the_function_lands_from_the_real_transfer_bucket_into_the_real_lake(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    variables = _stack_function(stack)["environment"]["variables"]
    transfer = f"northwind-{env.name}-transfer-{env.account_id}"
    lake = f"northwind-data-lake-{env.name}-{env.account_id}"
    buckets = {body["bucket"]: name for name, body in stack.resources("aws_s3_bucket").items()}
    assert variables["TRANSFER_BUCKET"] == f"${{aws_s3_bucket.{buckets[transfer]}.bucket}}"
    assert variables["LAKE_BUCKET"] == f"${{aws_s3_bucket.{buckets[lake]}.bucket}}"
    rules = [json.loads(b["event_pattern"]) for b in stack.resources("aws_cloudwatch_event_rule").values()]
    watched = {r["detail"]["bucket"]["name"][0] for r in rules if r.get("source") == ["aws.s3"]}
    assert {variables["TRANSFER_BUCKET"], variables["LAKE_BUCKET"]} <= watched


def test_the_package_is_uploaded_under_its_content_hash_and_holds_the_handler(stack):
    function = _stack_function(stack)
    upload = stack.resources("aws_s3_object")[function["s3_key"].split(".")[1]]
    package, package_hash = built_function_bundle()
    assert upload["key"] == f"functions/{package_hash}/{package.name}"
    names = zipfile.ZipFile(package).namelist()
    module = HANDLER.rsplit(".", 1)[0].replace(".", "/") + ".py"
    assert module in names
    assert any(name.startswith("pydantic_core/") and name.endswith("aarch64-linux-gnu.so") for name in names)
    assert not [name for name in names if name.endswith("direct_url.json")]


def test_the_handler_imports_only_what_lambda_provides_or_the_package_installs():
    """Imported in a fresh interpreter; each third-party module's distribution must be provided or packaged."""
    code = (
        "import importlib, importlib.metadata as md, json, sys\n"
        "before = set(sys.modules)\n"
        f"importlib.import_module('{HANDLER.rsplit('.', 1)[0]}')\n"
        "owners = md.packages_distributions()\n"
        "names = {d for m in set(sys.modules) - before for d in owners.get(m.split('.')[0], [])}\n"
        "print(json.dumps(sorted(names)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    normalized = {name.lower().replace("_", "-") for name in json.loads(result.stdout.splitlines()[-1])}
    assert normalized - LAMBDA_PROVIDED - set(FUNCTION_DISTRIBUTIONS) == set()


def test_the_packaged_distributions_bring_everything_they_require():
    from importlib import metadata

    from packaging.requirements import Requirement

    for name in FUNCTION_DISTRIBUTIONS:
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                needed = requirement.name.lower().replace("_", "-")
                assert needed in set(FUNCTION_DISTRIBUTIONS) | LAMBDA_PROVIDED, f"{name} requires {needed}"
