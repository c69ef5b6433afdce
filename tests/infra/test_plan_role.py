"""The read-only plan role of every account, defined in code beside the deploy role: it reads what Terraform's
refresh reads for every type the account's stacks declare, and its own stack's state; it changes nothing,
reads no data or secret and assumes no role, and its boundary holds it there whatever is attached later."""

from __future__ import annotations

import json
import re

import pytest

from scripts.account_policies import (
    account_roles,
    plan_boundary_document,
    plan_role_principals,
    trust_document,
)
from scripts.deploy_permissions import account_scope, deploy_statements
from scripts.plan_permissions import (
    DATA_SOURCE_READS,
    MANAGED_POLICIES_PER_ROLE,
    MANAGED_POLICY_MAX_CHARS,
    READ_ACTIONS,
    RESOURCELESS_ACTIONS,
)
from tests.infra.test_identity import policy_violations

# What reading is called in AWS's action names; everything else changes something.
READ_VERB = re.compile(r"^[a-z0-9-]+:(Describe|Get|List|BatchGet)[A-Za-z]*\*?$")
# The only non-read actions of the plan role: taking its own state's lock, and decrypting that state.
LOCK_AND_STATE_KEY = {"dynamodb:DeleteItem", "dynamodb:PutItem", "kms:Decrypt"}


def _plan(account, delivery):
    (spec,) = [s for s in account_roles(account, delivery) if s.name == account.plan_role_name]
    return spec


def _statements(account, delivery) -> list[dict]:
    return [s for document in _plan(account, delivery).own_policies for s in json.loads(document)["Statement"]]


def _accounts(environments, delivery):
    return [*environments.values(), delivery]


def test_the_plan_role_holds_the_refresh_reads_of_every_type_its_accounts_stacks_declare(
    synthesized, environments, delivery
):
    for name, stack in synthesized.items():
        account = delivery if name == "delivery" else environments[name]
        allowed = {a for s in _statements(account, delivery) if s["Effect"] == "Allow" for a in s["Action"]}
        for resource_type in stack.config["resource"]:
            assert set(READ_ACTIONS[resource_type]) <= allowed, f"{name}: {resource_type}"
        for data_type in stack.config.get("data", {}):
            assert set(DATA_SOURCE_READS[data_type]) <= allowed, f"{name}: data {data_type}"


def test_every_type_maps_to_at_least_one_read_so_no_refresh_goes_unpermitted():
    assert [t for t, reads in READ_ACTIONS.items() if not reads] == []


def test_the_plan_role_only_reads_and_takes_its_own_lock(environments, delivery):
    for account in _accounts(environments, delivery):
        allowed = {a for s in _statements(account, delivery) if s["Effect"] == "Allow" for a in s["Action"]}
        writes = sorted(a for a in allowed if not READ_VERB.match(a))
        assert set(writes) == LOCK_AND_STATE_KEY, account.name


def test_the_plan_role_writes_only_its_stacks_lock_item_and_decrypts_only_the_state(environments, delivery):
    env = environments["prod"]
    statements = {s["Sid"]: s for s in _statements(env, delivery)}
    lock = statements["TakeAndReleaseTheStacksLock"]
    assert lock["Action"] == ["dynamodb:DeleteItem", "dynamodb:PutItem"]
    assert lock["Resource"] == ["arn:aws:dynamodb:eu-west-2:333333333333:table/northwind-terraform-locks-prod"]
    assert lock["Condition"] == {
        "ForAllValues:StringEquals": {
            "dynamodb:LeadingKeys": ["northwind-terraform-state-prod/northwind-prod/terraform.tfstate"]
        }
    }
    key = statements["UseTheStateKeyThroughS3AndDynamoDb"]
    assert key["Action"] == ["kms:Decrypt"]
    assert key["Condition"] == {
        "StringEquals": {"kms:ViaService": ["s3.eu-west-2.amazonaws.com", "dynamodb.eu-west-2.amazonaws.com"]},
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/northwind-terraform-state"]},
    }


def test_the_only_objects_the_plan_role_reads_are_its_state_and_the_stacks_artifacts(environments, delivery):
    env = environments["dev"]
    objects = {
        r
        for s in _statements(env, delivery)
        if s["Effect"] == "Allow" and "s3:GetObject" in s["Action"]
        for r in s["Resource"]
    }
    assert objects == {
        "arn:aws:s3:::northwind-terraform-state-dev/northwind-dev/terraform.tfstate",
        "arn:aws:s3:::northwind-dev-lake-artifacts-111111111111/*",
    }
    assert not [s for s in _statements(delivery, delivery) if s["Sid"] == "ReadTheStacksArtifacts"]


def test_the_plan_role_may_never_assume_a_role_nor_read_secret_values_or_query_results(environments, delivery):
    for account in _accounts(environments, delivery):
        statements = _statements(account, delivery)
        allowed = {a for s in statements if s["Effect"] == "Allow" for a in s["Action"]}
        assert not [a for a in allowed if a.startswith("sts:Assume")], account.name
        denies = {s["Sid"]: s for s in statements if s["Effect"] == "Deny"}
        assert denies["NeverAssumeARole"]["Action"] == [
            "sts:AssumeRole",
            "sts:AssumeRoleWithSAML",
            "sts:AssumeRoleWithWebIdentity",
        ]
        assert {"secretsmanager:GetSecretValue", "athena:GetQueryResults", "logs:GetLogEvents"} <= set(
            denies["NeverReadDataOrSecrets"]["Action"]
        )


def test_the_plan_role_has_no_wildcard_action_and_its_data_service_reads_are_scoped_by_name(environments, delivery):
    for account in _accounts(environments, delivery):
        statements = [s for s in _statements(account, delivery) if s["Effect"] == "Allow"]
        # Actions AWS authorizes on no resource are judged apart: they can only be granted on "*".
        allows = [{**s, "Action": [a for a in s["Action"] if a not in RESOURCELESS_ACTIONS]} for s in statements]
        assert policy_violations("plan-role", account.plan_role_name, {"Statement": allows}) == [], account.name


def test_the_plan_roles_boundary_admits_exactly_its_own_policies_and_repeats_its_denies(environments, delivery):
    for account in _accounts(environments, delivery):
        statements = _statements(account, delivery)
        boundary = json.loads(plan_boundary_document(account))["Statement"]
        allowed = sorted({a for s in statements if s["Effect"] == "Allow" for a in s["Action"]})
        assert boundary[0]["Effect"] == "Allow" and boundary[0]["Action"] == allowed, account.name
        assert {s["Sid"] for s in boundary[1:]} == {"NeverAssumeARole", "NeverReadDataOrSecrets"}


def test_the_plan_role_and_its_boundary_fit_iams_managed_policy_limits(environments, delivery):
    for account in _accounts(environments, delivery):
        documents = _plan(account, delivery).own_policies
        assert len(documents) <= MANAGED_POLICIES_PER_ROLE - 1
        for document in [*documents, plan_boundary_document(account)]:
            assert len(json.dumps(json.loads(document), separators=(",", ":"))) <= MANAGED_POLICY_MAX_CHARS


@pytest.mark.parametrize("name", ["dev", "stage", "prod"])
def test_only_the_delivery_accounts_plan_step_of_the_environment_may_plan_it(environments, delivery, name):
    (statement,) = json.loads(trust_document(plan_role_principals(environments[name], delivery)))["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::444444444444:root"}
    assert statement["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::444444444444:role/northwind-delivery-plan-{name}"}
    }


def test_the_plan_step_role_each_environment_trusts_is_the_one_the_delivery_stack_creates_and_plans_with(
    delivery_stack, environments, delivery
):
    roles = {b["name"] for b in delivery_stack.resources("aws_iam_role").values()}
    for env in environments.values():
        (principal,) = plan_role_principals(env, delivery)
        assert principal.role_arn.rsplit("/", 1)[1] in roles, env.name


def test_the_plan_role_reads_only_the_types_of_its_own_accounts_stacks(environments, delivery):
    dev_reads = {a for s in _statements(environments["dev"], delivery) for a in s["Action"]}
    delivery_reads = {a for s in _statements(delivery, delivery) for a in s["Action"]}
    assert "codepipeline:GetPipeline" in delivery_reads and "codepipeline:GetPipeline" not in dev_reads
    assert "rds:DescribeDBInstances" in dev_reads and "rds:DescribeDBInstances" not in delivery_reads
    assert account_scope(delivery).resource_types < set(READ_ACTIONS)


def test_parameters_values_are_read_and_written_only_under_the_accounts_names(environments, delivery):
    """A parameter's refresh returns its value: both Terraform roles reach only the stack's own parameters."""
    env = environments["dev"]
    plan = [s for s in _statements(env, delivery) if s["Effect"] == "Allow"]
    deploy = [s.render() for s in deploy_statements(env) if s.effect == "Allow"]
    for statement in [*plan, *deploy]:
        parameter_actions = [a for a in statement["Action"] if a.startswith("ssm:") and a != "ssm:DescribeParameters"]
        if parameter_actions:
            assert statement["Resource"] == ["arn:aws:ssm:eu-west-2:111111111111:parameter/northwind-dev-*"], statement
    assert any("ssm:GetParameter" in s["Action"] for s in plan)
    assert any("ssm:PutParameter" in s["Action"] for s in deploy)


def test_a_functions_refresh_links_to_its_code_so_lambda_reads_reach_only_the_accounts_functions(
    environments, delivery, environment_stacks
):
    from fnmatch import fnmatchcase

    for name, env in environments.items():
        lambda_statements = [
            s
            for s in _statements(env, delivery)
            if s["Effect"] == "Allow" and any(a.startswith("lambda:") for a in s["Action"])
        ]
        assert lambda_statements, name
        for statement in lambda_statements:
            assert statement["Resource"] == [
                f"arn:aws:lambda:{env.region}:{env.account_id}:function:northwind-{name}-*"
            ]
        functions = environment_stacks[name].resources("aws_lambda_function").values()
        arns = [f"arn:aws:lambda:{env.region}:{env.account_id}:function:{f['function_name']}" for f in functions]
        assert arns and all(fnmatchcase(a, statement["Resource"][0]) for a in arns), arns
