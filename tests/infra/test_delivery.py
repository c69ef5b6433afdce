"""The delivery pipeline, read from the synthesized stacks (plus its props' validation)."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml

from modules.delivery import DeliveryProps, StateLocation
from modules.delivery.construct import TERRAFORM_VERSION


def _env(stack, environments):
    return environments[stack.name.removeprefix("northwind-")]


def _address(resource_type: str, stack, name_suffix: str) -> str:
    """The Terraform reference prefix of the one resource of a type whose name ends with ``name_suffix``."""
    key = next(k for k, b in stack.resources(resource_type).items() if b["name"].endswith(name_suffix))
    return f"${{{resource_type}.{key}"


def _stages(stack) -> dict[str, dict]:
    return {stage["name"]: stage["action"][0] for stage in stack.one("aws_codepipeline")["stage"]}


def _projects(stack) -> dict[str, dict]:
    return {b["name"].rsplit("-", 1)[1]: b for b in stack.resources("aws_codebuild_project").values()}


def _commands(project: dict) -> list[str]:
    return yaml.safe_load(project["source"]["buildspec"])["phases"]["build"]["commands"]


def _statements(stack, policy_name: str) -> dict[str, dict]:
    body = next(b for b in stack.resources("aws_iam_role_policy").values() if b["name"] == policy_name)
    return {s["Sid"]: s for s in json.loads(body["policy"])["Statement"]}


def _pipeline_statements(stack) -> dict[str, dict]:
    return _statements(stack, "delivery-pipeline-service-access")


def test_the_pipeline_runs_source_plan_approval_deploy_in_that_order(stack):
    pipeline = stack.one("aws_codepipeline")
    assert pipeline["pipeline_type"] == "V2"
    assert [(name, action["category"]) for name, action in _stages(stack).items()] == [
        ("Source", "Source"),
        ("Plan", "Build"),
        ("Approval", "Approval"),
        ("Deploy", "Build"),
    ]


def test_the_source_is_the_configured_branch_through_the_github_connection(stack, environments):
    env = _env(stack, environments)
    source = _stages(stack)["Source"]
    connection = stack.one("aws_codestarconnections_connection")
    assert connection["provider_type"] == "GitHub"
    assert source["provider"] == "CodeStarSourceConnection"
    assert source["configuration"]["ConnectionArn"].startswith("${aws_codestarconnections_connection.")
    assert source["configuration"]["FullRepositoryId"] == env.delivery.repository
    assert source["configuration"]["BranchName"] == env.delivery.branch


def test_the_manual_approval_between_plan_and_deploy_notifies_the_alert_topic_to_review_the_diff(stack):
    approval = _stages(stack)["Approval"]
    assert (approval["owner"], approval["provider"]) == ("AWS", "Manual")
    topic_key = next(iter(stack.resources("aws_sns_topic")))
    assert approval["configuration"]["NotificationArn"] == f"${{aws_sns_topic.{topic_key}.arn}}"
    assert "cdktf diff" in approval["configuration"]["CustomData"]
    assert "plan build" in approval["configuration"]["CustomData"]


def test_the_plan_build_passes_the_gate_publishes_the_wheelhouse_then_diffs_and_publishes_the_output(stack):
    stages, plan = _stages(stack), _projects(stack)["plan"]
    assert (
        stages["Plan"]["configuration"]["ProjectName"] == _address("aws_codebuild_project", stack, "-plan") + ".name}"
    )
    assert _commands(plan) == ["make synth ENV=$ENV", "make publish-wheelhouse ENV=$ENV", "make diff ENV=$ENV"]
    assert yaml.safe_load(plan["source"]["buildspec"])["artifacts"]["files"] == ["cdktf.out/**/*"]
    assert stages["Plan"]["output_artifacts"] == ["plan"]


def test_the_deploy_build_applies_the_approved_plan_artifact_without_synthesizing(stack):
    stages, deploy = _stages(stack), _projects(stack)["deploy"]
    assert "plan" in stages["Deploy"]["input_artifacts"]
    assert stages["Deploy"]["configuration"]["ProjectName"] == (
        _address("aws_codebuild_project", stack, "-deploy") + ".name}"
    )
    commands = _commands(deploy)
    assert any('"$CODEBUILD_SRC_DIR_plan/cdktf.out"' in c for c in commands)
    deploy_command = next(c for c in commands if " deploy " in c)
    assert deploy_command.split() == ["cdktf", "deploy", stack.name, "--skip-synth", "--auto-approve"]
    assert [c for c in commands if c.startswith("make ") or " synth" in c] == []


def test_every_build_installs_the_pinned_terraform_only_after_checking_its_published_checksum(stack):
    for project in _projects(stack).values():
        install = yaml.safe_load(project["source"]["buildspec"])["phases"]["install"]
        assert install["runtime-versions"] == {"python": "3.11"}
        [command] = install["commands"]
        steps = command.split(" && ")
        verify = next(i for i, step in enumerate(steps) if "sha256sum -c" in step)
        unpack = next(i for i, step in enumerate(steps) if step.startswith("unzip"))
        assert verify < unpack
        assert f"terraform_{TERRAFORM_VERSION}_linux_amd64.zip" in steps[unpack]


def test_builds_run_unprivileged_on_a_standard_image_as_the_delivery_role_with_the_env_set(stack):
    role = _address("aws_iam_role", stack, "-delivery-pipeline")
    for project in _projects(stack).values():
        environment = project["environment"]
        assert environment["privileged_mode"] is False
        assert environment["image"].startswith("aws/codebuild/standard:")
        assert environment["environment_variable"] == [{"name": "ENV", "value": stack.name.split("-")[1]}]
        assert project["service_role"] == f"{role}.arn}}"
        assert project["build_timeout"] > 0


def test_builds_and_the_artifact_store_are_encrypted_with_the_lake_key_and_log_to_a_kms_group(stack, environments):
    lake_key = next(k for k in stack.resources("aws_kms_key") if "lake-key" in k)
    key_ref = f"${{aws_kms_key.{lake_key}.arn}}"
    store = stack.one("aws_codepipeline")["artifact_store"][0]
    assert store["encryption_key"] == {"id": key_ref, "type": "KMS"}
    group_key, group = next(
        (k, b) for k, b in stack.resources("aws_cloudwatch_log_group").items() if b["name"].endswith("-delivery")
    )
    assert group["kms_key_id"].startswith("${aws_kms_key.")
    assert group["retention_in_days"] == _env(stack, environments).log_retention_days
    for project in _projects(stack).values():
        assert project["encryption_key"] == key_ref
        assert (
            project["logs_config"]["cloudwatch_logs"]["group_name"] == f"${{aws_cloudwatch_log_group.{group_key}.name}}"
        )


def test_the_pipeline_role_is_trusted_by_codepipeline_only_and_scoped_to_its_own_resources(stack):
    role = next(b for b in stack.resources("aws_iam_role").values() if b["name"].endswith("-delivery-pipeline-service"))
    trust = json.loads(role["assume_role_policy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "codepipeline.amazonaws.com"}]
    statements = _pipeline_statements(stack)
    assert sorted(statements["RunBuilds"]["Resource"]) == sorted(
        f"${{aws_codebuild_project.{k}.arn}}" for k in stack.resources("aws_codebuild_project")
    )
    assert statements["UseGitHubConnection"]["Resource"][0].startswith("${aws_codestarconnections_connection.")
    # CodePipeline keeps an execution's artifacts under the first 20 characters of the pipeline's name.
    folder = stack.one("aws_codepipeline")["name"][:20]
    bucket = next(k for k, b in stack.resources("aws_s3_bucket").items() if "lake-artifacts" in b["bucket"])
    assert statements["ReadWriteArtifacts"]["Resource"] == [f"${{aws_s3_bucket.{bucket}.arn}}/{folder}/*"]
    assert statements["NotifyApprovers"]["Resource"][0].startswith("${aws_sns_topic.")
    for statement in statements.values():
        assert all(not a.endswith("*") for a in statement["Action"])
        assert "*" not in statement["Resource"]


def test_the_build_role_reaches_only_this_stacks_state_object_its_key_and_lock_table(stack, environments):
    env = _env(stack, environments)
    statements = _statements(stack, "delivery-pipeline-delivery")
    assert statements["ReadWriteState"]["Resource"] == [
        f"arn:aws:s3:::{env.state.bucket}/{env.stack_name}/terraform.tfstate"
    ]
    assert statements["LockState"]["Resource"] == [
        f"arn:aws:dynamodb:{env.state.region}:{env.account_id}:table/{env.state.lock_table}"
    ]
    assert statements["ListStateKey"]["Condition"] == {
        "StringEquals": {"s3:prefix": f"{env.stack_name}/terraform.tfstate"}
    }
    state_key = statements["UseStateKeyThroughS3"]
    assert state_key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert state_key["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": [env.state.kms_key_alias]}
    assert state_key["Condition"]["StringEquals"] == {"kms:ViaService": f"s3.{env.state.region}.amazonaws.com"}
    assert statements["UseGitHubConnection"]["Resource"][0].startswith("${aws_codestarconnections_connection.")
    for statement in statements.values():
        assert all(not a.endswith("*") for a in statement["Action"])
        assert "*" not in statement["Resource"]


def _props(**changes) -> DeliveryProps:
    base = DeliveryProps(
        name_prefix="northwind-dev",
        account_id="111111111111",
        region="eu-west-2",
        environment_name="dev",
        stack_name="northwind-dev",
        repository="northwind/data-platform",
        branch="main",
        connection_name="northwind-github",
        build_role_arn="arn:aws:iam::111111111111:role/northwind-dev-delivery-pipeline",
        artifacts_bucket_name="artifacts",
        artifacts_bucket_arn="arn:aws:s3:::artifacts",
        kms_key_arn="arn:aws:kms:eu-west-2:111111111111:key/lake",
        logs_kms_key_arn="arn:aws:kms:eu-west-2:111111111111:key/logs",
        log_retention_days=30,
        approval_topic_arn="arn:aws:sns:eu-west-2:111111111111:alerts",
        approval_topic_kms_key_arn="arn:aws:kms:eu-west-2:111111111111:key/alerts",
        state=StateLocation(
            "state", "northwind-dev/terraform.tfstate", "locks", "eu-west-2", "111111111111", "alias/state"
        ),
    )
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("repository", "data-platform"),
        ("connection_name", "a-connection-name-longer-than-32-chars"),
        ("build_timeout_minutes", 3),
        ("build_image", "aws/codebuild/windows-base:2019-3.0"),
    ],
)
def test_delivery_props_refuse_a_bad_value_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"DeliveryProps.{field}"):
        _props(**{field: value})
