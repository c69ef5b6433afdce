"""The promotion pipeline in the delivery account, and its smoke-test role in each environment, read from the
synthesized JSON; each test is named after the rule it encodes."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import pytest
import yaml

from environments import DeliveryStep
from modules.delivery import DeliveryProps, PromotionTarget, StepRoles
from modules.delivery.buildspecs import TERRAFORM_VERSION
from modules.delivery.construct import APPROVAL_MESSAGE
from tests.infra.test_identity import policy_documents, policy_violations

# CodePipeline keeps an execution's artifacts under <first 20 characters of the pipeline>/<first 10 of the
# artifact name>/; Manual approval CustomData holds at most 500 characters.
PIPELINE_FOLDER, ARTIFACT_FOLDER, CUSTOM_DATA_LIMIT = 20, 10, 500


def _pipeline(delivery_stack) -> dict:
    return delivery_stack.one("aws_codepipeline")


def _actions(delivery_stack) -> list[tuple[str, dict]]:
    return [(stage["name"], action) for stage in _pipeline(delivery_stack)["stage"] for action in stage["action"]]


def _projects(delivery_stack) -> dict[str, dict]:
    """Project key -> body, by the project's name."""
    return {b["name"]: b for b in delivery_stack.resources("aws_codebuild_project").values()}


def _project_of(delivery_stack, action: dict) -> dict:
    key = action["configuration"]["ProjectName"].removeprefix("${aws_codebuild_project.").removesuffix(".name}")
    return delivery_stack.resources("aws_codebuild_project")[key]


def _buildspec(project: dict) -> dict:
    return yaml.safe_load(project["source"]["buildspec"])


def _commands(project: dict) -> list[str]:
    return _buildspec(project)["phases"]["build"]["commands"]


def _role_key(delivery_stack, role_name: str) -> str:
    return next(k for k, b in delivery_stack.resources("aws_iam_role").items() if b["name"] == role_name)


def _statements(delivery_stack, role_name: str) -> dict[str, dict]:
    key = _role_key(delivery_stack, role_name)
    found = {}
    for body in delivery_stack.resources("aws_iam_role_policy").values():
        if body["role"] == f"${{aws_iam_role.{key}.id}}":
            found |= {s["Sid"]: s for s in json.loads(body["policy"])["Statement"]}
    return found


def _variables(action: dict) -> dict[str, str]:
    return {v["name"]: v["value"] for v in json.loads(action["configuration"]["EnvironmentVariables"])}


def test_one_queued_v2_pipeline_takes_each_commit_through_build_then_dev_stage_prod(delivery_stack, delivery):
    pipeline = _pipeline(delivery_stack)
    assert (pipeline["name"], pipeline["pipeline_type"], pipeline["execution_mode"]) == (
        "northwind-delivery",
        "V2",
        "QUEUED",
    )
    assert [s["name"] for s in pipeline["stage"]] == ["Source", "Build", *(e.capitalize() for e in delivery.promotion)]


def test_every_environment_stage_runs_plan_then_approval_then_apply_then_smoke_test(delivery_stack, delivery):
    for stage in _pipeline(delivery_stack)["stage"][2:]:
        assert [(a["name"], a["category"], a["run_order"]) for a in stage["action"]] == [
            ("Plan", "Build", 1),
            ("Approve", "Approval", 2),
            ("Apply", "Build", 3),
            ("SmokeTest", "Build", 4),
        ]


def test_only_a_push_to_the_configured_branch_starts_the_pipeline_through_the_bootstrapped_connection(
    delivery_stack, delivery
):
    (trigger,) = _pipeline(delivery_stack)["trigger"]
    assert trigger["provider_type"] == "CodeStarSourceConnection"
    assert trigger["git_configuration"]["push"] == [{"branches": {"includes": [delivery.branch]}}]
    (_, source), *_ = _actions(delivery_stack)
    assert source["provider"] == "CodeStarSourceConnection"
    assert source["configuration"]["FullRepositoryId"] == delivery.repository
    assert source["configuration"]["BranchName"] == delivery.branch
    assert source["configuration"]["ConnectionArn"].startswith("${data.aws_codestarconnections_connection.")
    assert delivery_stack.resources("aws_codestarconnections_connection") == {}


def test_artifacts_are_built_once_and_every_later_step_uses_the_built_output(delivery_stack):
    actions = _actions(delivery_stack)
    readers_of_source = [a["name"] for _, a in actions if "source" in (a.get("input_artifacts") or [])]
    assert readers_of_source == ["Build"]
    build = _project_of(delivery_stack, next(a for _, a in actions if a["name"] == "Build"))
    assert _commands(build)[0] == "make synth"
    for stage, action in actions[2:]:
        if action["category"] != "Build":
            continue
        assert action["input_artifacts"][0] == "built"
        assert action["configuration"].get("PrimarySource", "built") == "built"
        for command in _commands(_project_of(delivery_stack, action)):
            words = command.split()
            assert not {"make", "cdktf", "pipenv"} & set(words), (stage, action["name"], command)


def test_an_environment_after_the_first_plans_only_a_commit_the_one_before_applied_and_smoke_tested(
    delivery_stack, delivery
):
    plans = {stage: a for stage, a in _actions(delivery_stack) if a["name"] == "Plan"}
    order = list(delivery.promotion)
    for previous, current in itertools.pairwise(order):
        plan = plans[current.capitalize()]
        assert plan["input_artifacts"] == ["built", f"ok_{previous}"]
        verify = _commands(_project_of(delivery_stack, plan))[0]
        assert verify.startswith("python3 -m scripts.promote verify-promotion")
        assert f"$CODEBUILD_SRC_DIR_ok_{previous}/promotion/verified.json" in verify
        assert f"--environment {previous}" in verify and '--commit "$COMMIT_ID"' in verify
    assert plans[order[0].capitalize()]["input_artifacts"] == ["built"]
    smoke_outputs = {stage: a["output_artifacts"] for stage, a in _actions(delivery_stack) if a["name"] == "SmokeTest"}
    assert smoke_outputs == {e.capitalize(): [f"ok_{e}"] for e in order}


def test_every_build_learns_the_commit_of_its_execution(delivery_stack):
    for _, action in _actions(delivery_stack):
        if action["category"] == "Build":
            assert _variables(action)["COMMIT_ID"] == "#{SourceVariables.CommitId}"
            assert _variables(action)["PIPELINE_EXECUTION_ID"] == "#{codepipeline.PipelineExecutionId}"


def test_the_plan_step_saves_a_plan_with_the_read_only_role_and_exports_its_hash_for_the_approval(
    delivery_stack, environments, delivery
):
    for env_name in delivery.promotion:
        env = environments[env_name]
        plan = next(a for s, a in _actions(delivery_stack) if s == env_name.capitalize() and a["name"] == "Plan")
        project = _project_of(delivery_stack, plan)
        commands = _commands(project)
        assert f"--role-arn {env.plan_role_arn} " in next(c for c in commands if "scripts.promote assume" in c)
        assert f"python3 -m scripts.promote plan --stack-dir cdktf.out/stacks/{env.stack_name} --out plan" in commands
        spec = _buildspec(project)
        assert spec["env"]["exported-variables"] == ["PLAN_SHA256", "PLAN_HEADLINE", "PLAN_BUILD_ID"]
        assert spec["artifacts"]["files"] == ["plan/**/*"]
        assert plan["namespace"] == plan["output_artifacts"][0] == f"plan_{env_name}"


def test_the_approval_shows_the_plan_headline_and_hash_and_the_apply_checks_that_hash(delivery_stack):
    (topic,) = [
        key
        for key, topic in delivery_stack.resources("aws_sns_topic").items()
        if topic["name"] == "northwind-delivery-approvals"
    ]
    for stage in _pipeline(delivery_stack)["stage"][2:]:
        plan, approve, apply, _ = stage["action"]
        namespace = plan["namespace"]
        assert (approve["owner"], approve["provider"]) == ("AWS", "Manual")
        assert approve["configuration"]["NotificationArn"] == f"${{aws_sns_topic.{topic}.arn}}"
        custom = approve["configuration"]["CustomData"]
        assert f"#{{{namespace}.PLAN_HEADLINE}}" in custom and f"#{{{namespace}.PLAN_SHA256}}" in custom
        assert f"#{{{namespace}.PLAN_BUILD_ID}}" in approve["configuration"]["ExternalEntityLink"]
        assert _variables(apply)["APPROVED_PLAN_SHA256"] == f"#{{{namespace}.PLAN_SHA256}}"
        assert apply["input_artifacts"] == ["built", namespace]
        commands = _commands(_project_of(delivery_stack, apply))
        command = next(c for c in commands if "scripts.promote apply" in c)
        assert f'--plan-dir "$CODEBUILD_SRC_DIR_{namespace}/plan"' in command
        assert '--approved-sha256 "$APPROVED_PLAN_SHA256"' in command


def test_an_environment_receives_the_built_wheelhouse_only_through_its_approved_apply(delivery_stack, delivery):
    for name in delivery.promotion:
        apply = next(a for s, a in _actions(delivery_stack) if s == name.capitalize() and a["name"] == "Apply")
        commands = _commands(_project_of(delivery_stack, apply))
        steps = [
            next(i for i, c in enumerate(commands) if marker in c)
            for marker in ("assume", "publish_wheelhouse", "promote apply")
        ]
        assert steps == sorted(steps), commands
        assert f"python3 -m scripts.publish_wheelhouse {name} --wheelhouse dist/wheelhouse" in commands
    build = next(a for _, a in _actions(delivery_stack) if a["name"] == "Build")
    assert "make wheelhouse" in _commands(_project_of(delivery_stack, build))


def test_the_smoke_test_runs_the_curation_jobs_dry_run_in_each_environment(delivery_stack, synthesized, delivery):
    for name in delivery.promotion:
        smoke = next(a for s, a in _actions(delivery_stack) if s == name.capitalize() and a["name"] == "SmokeTest")
        command = next(c for c in _commands(_project_of(delivery_stack, smoke)) if "scripts.promote smoke" in c)
        assert f"--glue-job northwind-{name}-curate" in command
        env_stack = synthesized[name]
        job_key = next(
            k for k, b in env_stack.resources("aws_glue_job").items() if b["name"] == f"northwind-{name}-curate"
        )
        policy = next(b for b in env_stack.resources("aws_iam_role_policy").values() if b["name"] == "smoke-test")
        statements = {st["Sid"]: st for st in json.loads(policy["policy"])["Statement"]}
        assert statements["RunDryRunJobs"]["Resource"] == [f"${{aws_glue_job.{job_key}.arn}}"]


def test_approval_custom_data_fits_codepipelines_limit_with_the_longest_values_substituted():
    longest = APPROVAL_MESSAGE.format(stack="northwind-abcde", ns="plan_abcde")
    resolved = (
        longest.replace("#{plan_abcde.PLAN_HEADLINE}", "x" * 160)
        .replace("#{plan_abcde.PLAN_SHA256}", "f" * 64)
        .replace("#{SourceVariables.CommitId}", "c" * 40)
    )
    assert len(resolved) <= CUSTOM_DATA_LIMIT


def test_the_apply_step_alone_assumes_an_environments_deploy_role(delivery_stack, environments, delivery):
    assumers: dict[str, list[str]] = {}
    for body in delivery_stack.resources("aws_iam_role").values():
        for statement in _statements(delivery_stack, body["name"]).values():
            if "sts:AssumeRole" in statement["Action"]:
                for target in statement["Resource"]:
                    assumers.setdefault(target, []).append(body["name"])
    for name in delivery.promotion:
        env = environments[name]
        assert assumers[env.deploy_role_arn] == [delivery.step_role_name(DeliveryStep.APPLY, name)]
        assert assumers[env.plan_role_arn] == [delivery.step_role_name(DeliveryStep.PLAN, name)]
        assert assumers[env.smoke_test_role_arn] == [delivery.step_role_name(DeliveryStep.SMOKE, name)]
    # Every assuming statement names exactly one role: no build reaches two environments.
    assert all(len(roles) == 1 for roles in assumers.values())
    assert not any(
        "sts:AssumeRole" in s["Action"]
        for s in _statements(delivery_stack, delivery.step_role_name(DeliveryStep.BUILD)).values()
    )


def test_each_step_writes_only_its_own_artifact_so_no_build_overwrites_an_approved_plan_or_the_built_output(
    delivery_stack, delivery
):
    bucket = next(k for k, b in delivery_stack.resources("aws_s3_bucket").items() if "-artifacts-" in b["bucket"])
    folder = f"${{aws_s3_bucket.{bucket}.arn}}/{_pipeline(delivery_stack)['name'][:PIPELINE_FOLDER]}"
    writers: dict[str, list[str]] = {}
    for _, action in _actions(delivery_stack):
        if action["category"] != "Build":
            continue
        role = _project_of(delivery_stack, action)["service_role"]
        role_name = delivery_stack.resources("aws_iam_role")[role.split(".")[1]]["name"]
        statements = _statements(delivery_stack, role_name)
        (output,) = action["output_artifacts"]
        assert statements["WriteOutputArtifact"]["Resource"] == [f"{folder}/{output[:ARTIFACT_FOLDER]}/*"]
        assert sorted(statements["ReadInputArtifacts"]["Resource"]) == sorted(
            f"{folder}/{name[:ARTIFACT_FOLDER]}/*" for name in action["input_artifacts"]
        )
        writers.setdefault(output, []).append(role_name)
    assert writers["built"] == [delivery.step_role_name(DeliveryStep.BUILD)]
    assert all(len(roles) == 1 for roles in writers.values())


def test_artifact_names_stay_distinct_within_codepipelines_folder_truncation(delivery_stack):
    names = [n for _, a in _actions(delivery_stack) for n in a.get("output_artifacts") or []]
    assert all(len(n) <= ARTIFACT_FOLDER for n in names)
    assert len({n[:ARTIFACT_FOLDER] for n in names}) == len(names)
    assert len(_pipeline(delivery_stack)["name"]) <= PIPELINE_FOLDER


def test_a_codebuild_action_with_several_inputs_names_its_primary_source(delivery_stack):
    for _, action in _actions(delivery_stack):
        if len(action.get("input_artifacts") or []) > 1:
            assert action["configuration"]["PrimarySource"] in action["input_artifacts"]


def test_build_roles_trust_codebuild_only_for_their_own_project_in_this_account(delivery_stack, delivery):
    for project in delivery_stack.resources("aws_codebuild_project").values():
        role = delivery_stack.resources("aws_iam_role")[project["service_role"].split(".")[1]]
        (statement,) = json.loads(role["assume_role_policy"])["Statement"]
        assert statement["Principal"] == {"Service": "codebuild.amazonaws.com"}
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": delivery.account_id},
            "ArnLike": {
                "aws:SourceArn": f"arn:aws:codebuild:{delivery.region}:{delivery.account_id}:project/{project['name']}"
            },
        }
        assert role["name"] == project["name"]


def test_the_pipeline_role_runs_only_its_builds_and_assumes_nothing(delivery_stack, delivery):
    role = next(
        b for b in delivery_stack.resources("aws_iam_role").values() if b["name"] == "northwind-delivery-pipeline"
    )
    (trust,) = json.loads(role["assume_role_policy"])["Statement"]
    assert trust["Principal"] == {"Service": "codepipeline.amazonaws.com"}
    assert trust["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:codepipeline:{delivery.region}:{delivery.account_id}:northwind-delivery"
    }
    statements = _statements(delivery_stack, "northwind-delivery-pipeline")
    assert sorted(statements["RunBuilds"]["Resource"]) == sorted(
        f"${{aws_codebuild_project.{k}.arn}}" for k in delivery_stack.resources("aws_codebuild_project")
    )
    assert not any(a.startswith("sts:") for s in statements.values() for a in s["Action"])


def test_no_policy_of_the_delivery_stack_allows_wildcard_actions_or_unscoped_data_resources(delivery_stack):
    documents = list(policy_documents(delivery_stack))
    assert len(documents) > 20
    assert [v for t, address, doc in documents for v in policy_violations(t, address, doc)] == []


def test_every_build_installs_the_pinned_terraform_only_after_checking_its_published_checksum(delivery_stack):
    for project in delivery_stack.resources("aws_codebuild_project").values():
        install = _buildspec(project)["phases"]["install"]
        assert install["runtime-versions"] == {"python": "3.11"}
        for command in install.get("commands", []):
            steps = command.split(" && ")
            verify = next(i for i, step in enumerate(steps) if "sha256sum -c" in step)
            unpack = next(i for i, step in enumerate(steps) if step.startswith("unzip"))
            assert verify < unpack
            assert f"terraform_{TERRAFORM_VERSION}_linux_amd64.zip" in steps[unpack]


def test_builds_run_unprivileged_encrypted_and_log_to_a_kms_group_kept_a_year(delivery_stack, delivery):
    artifacts_key = next(
        k for k, b in delivery_stack.resources("aws_kms_key").items() if b["tags"]["purpose"] == "artifacts"
    )
    store = _pipeline(delivery_stack)["artifact_store"][0]
    assert store["encryption_key"] == {"id": f"${{aws_kms_key.{artifacts_key}.arn}}", "type": "KMS"}
    group = delivery_stack.one("aws_cloudwatch_log_group")
    assert group["kms_key_id"].startswith("${aws_kms_key.")
    assert group["retention_in_days"] == delivery.log_retention_days == 365
    for project in delivery_stack.resources("aws_codebuild_project").values():
        assert project["environment"]["privileged_mode"] is False
        assert project["environment"]["image"].startswith("aws/codebuild/standard:")
        assert project["encryption_key"] == f"${{aws_kms_key.{artifacts_key}.arn}}"


def test_the_smoke_test_role_in_each_environment_trusts_only_that_environments_smoke_build(
    stack, environments, delivery
):
    env = environments[stack.name.removeprefix("northwind-")]
    role = next(b for b in stack.resources("aws_iam_role").values() if b["name"] == env.smoke_test_role_name)
    (trust,) = json.loads(role["assume_role_policy"])["Statement"]
    assert trust["Principal"] == {"AWS": delivery.step_role_arn(DeliveryStep.SMOKE, env.name)}
    policy = next(b for b in stack.resources("aws_iam_role_policy").values() if b["name"] == "smoke-test")
    statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    assert statements["ReadEnvironmentAlarms"]["Resource"] == [
        f"arn:aws:cloudwatch:{env.region}:{env.account_id}:alarm:{env.stack_name}-*"
    ]
    assert {a for s in statements.values() for a in s["Action"]} <= {
        "cloudwatch:DescribeAlarms",
        "glue:GetJobRun",
        "glue:StartJobRun",
    }


def test_no_environment_stack_holds_a_pipeline_or_a_build(stack):
    assert stack.resources("aws_codepipeline") == {} and stack.resources("aws_codebuild_project") == {}


def test_the_plan_role_reads_every_key_policy_of_the_environment_and_may_not_use_the_keys(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    for name, key in stack.resources("aws_kms_key").items():
        statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
        readers = statements["KeyMetadataReaders"]
        assert readers["Principal"] == {"AWS": f"arn:aws:iam::{env.account_id}:root"}, name
        assert readers["Condition"] == {"ArnEquals": {"aws:PrincipalArn": [env.plan_role_arn]}}, name
        assert readers["Action"] == [
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:ListResourceTags",
        ]


def test_the_plan_role_is_a_read_only_lake_formation_administrator(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    settings = stack.one("aws_lakeformation_data_lake_settings")
    assert settings["read_only_admins"] == [env.plan_role_arn]
    assert env.plan_role_arn not in settings["admins"]


def _props(**changes) -> DeliveryProps:
    target = PromotionTarget(
        environment="dev",
        stack_name="northwind-dev",
        account_id="111111111111",
        region="eu-west-2",
        plan_role_arn="arn:aws:iam::111111111111:role/plan",
        deploy_role_arn="arn:aws:iam::111111111111:role/deploy",
        smoke_test_role_arn="arn:aws:iam::111111111111:role/smoke",
        service_hostname="analytics.dev.example.com",
        roles=StepRoles("p", "a", "s"),
    )
    base = DeliveryProps(
        name_prefix="northwind-delivery",
        account_id="444444444444",
        region="eu-west-2",
        repository="northwind/data-platform",
        branch="main",
        connection_arn="arn:aws:codeconnections:eu-west-2:444444444444:connection/x",
        build_role_name="northwind-delivery-build",
        targets=(target,),
        artifacts_bucket_name="artifacts",
        artifacts_bucket_arn="arn:aws:s3:::artifacts",
        artifacts_kms_key_arn="arn:aws:kms:eu-west-2:444444444444:key/artifacts",
        logs_kms_key_arn="arn:aws:kms:eu-west-2:444444444444:key/logs",
        log_retention_days=365,
        approval_topic_arn="arn:aws:sns:eu-west-2:444444444444:approvals",
        approval_topic_kms_key_arn="arn:aws:kms:eu-west-2:444444444444:key/approvals",
    )
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("repository", "data-platform"),
        ("targets", ()),
        ("build_timeout_minutes", 3),
        ("build_image", "aws/codebuild/windows-base:2019-3.0"),
    ],
)
def test_delivery_props_refuse_a_bad_value_naming_the_field(field, value):
    with pytest.raises(ValueError, match=rf"DeliveryProps\.{field}"):
        _props(**{field: value})


def test_a_promotion_target_refuses_a_name_too_long_for_its_artifact_folders():
    target = _props().targets[0]
    with pytest.raises(ValueError, match=r"PromotionTarget\.environment"):
        dataclasses.replace(target, environment="staging")


RUNBOOK_LINK = "Runbook: docs/runbooks/deploy-and-promote.md#when-a-promotion-stops"


def _alert_topic(delivery_stack) -> tuple[str, dict]:
    ((key, topic),) = [
        (k, t) for k, t in delivery_stack.resources("aws_sns_topic").items() if t["name"] == "northwind-delivery-alerts"
    ]
    return key, topic


def _rule_and_target(delivery_stack, name: str) -> tuple[dict, dict]:
    ((key, rule),) = [
        (k, r) for k, r in delivery_stack.resources("aws_cloudwatch_event_rule").items() if r["name"] == name
    ]
    (target,) = [
        t
        for t in delivery_stack.resources("aws_cloudwatch_event_target").values()
        if t["rule"] == f"${{aws_cloudwatch_event_rule.{key}.name}}"
    ]
    return rule, target


def test_a_failed_stopped_or_cancelled_execution_of_the_pipeline_reaches_the_alert_topic(delivery_stack):
    rule, target = _rule_and_target(delivery_stack, "northwind-delivery-stopped-executions")
    assert json.loads(rule["event_pattern"]) == {
        "source": ["aws.codepipeline"],
        "detail-type": ["CodePipeline Pipeline Execution State Change"],
        "resources": ["arn:aws:codepipeline:eu-west-2:444444444444:northwind-delivery"],
        "detail": {"state": ["CANCELED", "FAILED", "STOPPED"]},
    }
    topic_key, _ = _alert_topic(delivery_stack)
    assert target["arn"] == f"${{aws_sns_topic.{topic_key}.arn}}"
    assert target["input_transformer"]["input_paths"]["execution"] == "$.detail.execution-id"


def test_a_rejected_or_expired_approval_reaches_the_alert_topic(delivery_stack):
    rule, target = _rule_and_target(delivery_stack, "northwind-delivery-failed-approvals")
    pattern = json.loads(rule["event_pattern"])
    assert pattern["detail-type"] == ["CodePipeline Action Execution State Change"]
    assert pattern["detail"] == {"type": {"category": ["Approval"]}, "state": ["FAILED"]}
    assert pattern["resources"] == ["arn:aws:codepipeline:eu-west-2:444444444444:northwind-delivery"]
    assert target["input_transformer"]["input_paths"] == {
        "stage": "$.detail.stage",
        "execution": "$.detail.execution-id",
    }


def test_rule_eventbridge_targets_wait_for_the_topic_policy_since_a_refused_publish_is_dropped_silently(delivery_stack):
    (policy_key,) = delivery_stack.resources("aws_sns_topic_policy")
    for target in delivery_stack.resources("aws_cloudwatch_event_target").values():
        assert f"aws_sns_topic_policy.{policy_key}" in target["depends_on"]


def test_every_alert_of_the_pipeline_links_the_runbook_section_a_responder_follows(delivery_stack):
    runbook = (Path(__file__).parents[2] / "docs" / "runbooks" / "deploy-and-promote.md").read_text()
    assert "\n## When a promotion stops\n" in runbook
    rules = delivery_stack.resources("aws_cloudwatch_event_rule").values()
    assert len(rules) == 2
    for rule in rules:
        assert rule["description"].endswith(RUNBOOK_LINK) and len(rule["description"]) <= 512
    for target in delivery_stack.resources("aws_cloudwatch_event_target").values():
        assert json.loads(target["input_transformer"]["input_template"]).endswith(RUNBOOK_LINK)


def test_rule_eventbridge_encrypts_for_the_alert_topic_only_under_its_sns_context_as_aws_documents(delivery_stack):
    (key,) = [k for k in delivery_stack.resources("aws_kms_key").values() if k["tags"]["purpose"] == "pipeline-alerts"]
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
    assert set(statements) == {
        "KeyAdministration",
        "BreakGlassKeyAdministration",
        "KeyMetadataReaders",
        "EventBridgePublishesToTheAlertTopic",
    }
    events = statements["EventBridgePublishesToTheAlertTopic"]
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    assert events["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    # EventBridge's KMS requests carry no aws:SourceAccount or aws:SourceArn: a condition on them drops every event.
    assert events["Condition"] == {
        "StringEquals": {
            "kms:EncryptionContext:aws:sns:topicArn": "arn:aws:sns:eu-west-2:444444444444:northwind-delivery-alerts"
        }
    }
    _, topic = _alert_topic(delivery_stack)
    assert topic["kms_master_key_id"].startswith("${aws_kms_key.alerts_alert-key")


def test_the_alert_topic_admits_only_this_accounts_rules(delivery_stack):
    (policy,) = delivery_stack.resources("aws_sns_topic_policy").values()
    (statement,) = json.loads(policy["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == ["sns:Publish"]
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "444444444444"},
        "ArnLike": {"aws:SourceArn": "arn:aws:events:eu-west-2:444444444444:rule/northwind-delivery-*"},
    }


def test_the_alerts_reach_every_subscriber_of_the_delivery_definition(delivery_stack, delivery):
    topic_key, _ = _alert_topic(delivery_stack)
    subscribers = {
        (s["protocol"], s["endpoint"])
        for s in delivery_stack.resources("aws_sns_topic_subscription").values()
        if s["topic_arn"] == f"${{aws_sns_topic.{topic_key}.arn}}"
    }
    assert subscribers == {(s.protocol.value, s.endpoint) for s in delivery.alert_subscriptions} != set()


def test_a_delivery_definition_without_an_alert_subscriber_is_refused_naming_the_field(tmp_path):
    import shutil

    from environments import DEFINITIONS_DIR, EnvironmentDefinitionError, load_delivery

    shutil.copytree(DEFINITIONS_DIR, tmp_path / "environments", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = tmp_path / "environments" / "delivery" / "delivery.yaml"
    definition = yaml.safe_load(path.read_text())
    definition["alert_subscriptions"] = []
    path.write_text(yaml.safe_dump(definition))
    with pytest.raises(EnvironmentDefinitionError, match="alert_subscriptions: Tuple should have at least 1 item"):
        load_delivery(tmp_path / "environments")
