"""The deploy role, defined in code: what the stacks' resources need, scoped to the account, never an
administrator. Read beside the synthesized stacks, both ways: a resource type a stack declares cannot go
unpermitted, and no permission stays for a type no stack declares."""

from __future__ import annotations

import json

import pytest

from scripts.account_policies import account_roles, deploy_role_principals, trust_document
from scripts.deploy_permissions import (
    ATTACHABLE_MANAGED_POLICIES,
    DEPLOY_ACTIONS,
    ENVIRONMENT_SCOPE,
    account_scope,
    deploy_policy_documents,
)
from scripts.plan_permissions import (
    DATA_SOURCE_READS,
    DELIVERY_SCOPE,
    MANAGED_POLICIES_PER_ROLE,
    MANAGED_POLICY_MAX_CHARS,
    READ_ACTIONS,
    RESOURCELESS_ACTIONS,
)
from tests.infra.stack_json import as_list
from tests.infra.test_identity import policy_violations

# Types in the maps that no shipped stack declares, each with why it stays (none today).
KEPT_WITHOUT_A_STACK: dict[str, str] = {}


def _statements(env) -> list[dict]:
    return [s for document in deploy_policy_documents(env) for s in json.loads(document)["Statement"]]


def _declared(stacks, kind: str) -> set[str]:
    return {t for stack in stacks for t in stack.config.get(kind, {})}


def test_the_environments_scope_is_exactly_the_resource_and_data_source_types_their_stacks_declare(
    environment_stacks,
):
    assert _declared(environment_stacks.values(), "resource") == set(ENVIRONMENT_SCOPE.resource_types)
    assert _declared(environment_stacks.values(), "data") == set(ENVIRONMENT_SCOPE.data_source_types)


def test_the_delivery_scope_is_exactly_the_resource_and_data_source_types_the_delivery_stack_declares(delivery_stack):
    assert _declared([delivery_stack], "resource") == set(DELIVERY_SCOPE.resource_types)
    assert _declared([delivery_stack], "data") == set(DELIVERY_SCOPE.data_source_types)


def test_every_type_of_the_maps_is_declared_by_a_stack_and_every_declared_type_has_reads_and_writes(synthesized):
    declared = _declared(synthesized.values(), "resource")
    assert set(DEPLOY_ACTIONS) == set(READ_ACTIONS) == declared | set(KEPT_WITHOUT_A_STACK)
    assert set(DATA_SOURCE_READS) == _declared(synthesized.values(), "data")


def test_the_environments_deploy_role_holds_no_permission_for_builds_pipelines_or_connections(environments):
    for env in environments.values():
        actions = {a for s in _statements(env) for a in s["Action"] if s["Effect"] == "Allow"}
        services = {a.split(":")[0] for a in actions}
        assert not services & {"codebuild", "codepipeline", "codestar-connections", "codeconnections"}, env.name


def test_the_delivery_accounts_deploy_role_may_create_the_pipeline_its_builds_and_pass_only_their_roles(delivery):
    statements = {s["Sid"]: s for s in _statements(delivery)}
    assert "codepipeline:CreatePipeline" in statements["DeployCodepipeline"]["Action"]
    assert "codestar-connections:PassConnection" in statements["DeployCodestarConnections"]["Action"]
    passing = statements["PassTheAccountsRolesToItsServices"]
    assert passing["Resource"] == ["arn:aws:iam::444444444444:role/northwind-delivery-*"]
    assert passing["Condition"]["StringEquals"]["iam:PassedToService"] == [
        "codebuild.amazonaws.com",
        "codepipeline.amazonaws.com",
    ]
    assert "ManageTheAccountsInstanceProfiles" not in statements and "DeployGlue" not in statements


def test_the_deploy_role_fits_iams_managed_policy_size_and_attachment_limits(environments, delivery):
    for env in [*environments.values(), delivery]:
        documents = deploy_policy_documents(env)
        assert len(documents) <= MANAGED_POLICIES_PER_ROLE
        assert all(len(json.dumps(json.loads(d), separators=(",", ":"))) <= MANAGED_POLICY_MAX_CHARS for d in documents)


def test_the_deploy_role_is_no_administrator_no_wildcard_action_and_data_services_scoped_by_name(
    environments, delivery
):
    for env in [*environments.values(), delivery]:
        (deploy,) = [spec for spec in account_roles(env, delivery) if spec.name == env.deploy_role_name]
        assert deploy.aws_managed_policies == ()
        # Actions AWS authorizes on no resource are judged apart: they can only be granted on "*".
        allows = [
            {**s, "Action": [a for a in s["Action"] if a not in RESOURCELESS_ACTIONS]}
            for s in _statements(env)
            if s["Effect"] == "Allow"
        ]
        assert policy_violations("deploy-role", env.deploy_role_name, {"Statement": allows}) == []
    env = environments["dev"]
    assert {a for s in _statements(env) for a in s["Action"] if a in RESOURCELESS_ACTIONS} == set(
        RESOURCELESS_ACTIONS
    ) - {"codestar-connections:ListConnections"}


def test_the_deploy_role_creates_roles_only_with_the_permissions_boundary_and_attaches_only_known_policies(
    environments,
):
    for env in environments.values():
        statements = {s["Sid"]: s for s in _statements(env)}
        create = statements["CreateRolesOnlyWithTheBoundary"]
        assert create["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": env.permissions_boundary_arn}}
        attach = [s for s in statements.values() if "iam:AttachRolePolicy" in s["Action"] and s["Effect"] == "Allow"]
        assert [s["Condition"]["ArnEquals"]["iam:PolicyARN"] for s in attach] == [list(ATTACHABLE_MANAGED_POLICIES)]
        assert all("iam:CreatePolicy" not in s["Action"] for s in statements.values())


def _trusted_services(stacks) -> set[str]:
    return {
        s["Principal"]["Service"]
        for stack in stacks
        for role in stack.resources("aws_iam_role").values()
        for s in as_list(json.loads(role["assume_role_policy"])["Statement"])
        if "Service" in s["Principal"]
    }


def test_the_deploy_role_may_pass_roles_to_exactly_the_services_its_accounts_stack_roles_trust(
    environment_stacks, delivery_stack, environments, delivery
):
    assert _trusted_services(environment_stacks.values()) == set(ENVIRONMENT_SCOPE.passed_to_services)
    assert _trusted_services([delivery_stack]) == set(account_scope(delivery).passed_to_services)
    env = environments["dev"]
    (passing,) = [s for s in _statements(env) if s["Sid"] == "PassTheAccountsRolesToItsServices"]
    assert passing["Resource"] == [f"arn:aws:iam::{env.account_id}:role/northwind-dev-*"]


def test_the_deploy_role_can_never_touch_the_bootstraps_identities_assume_a_role_or_change_the_state_bucket(
    environments,
):
    env = environments["prod"]
    denies = {s["Sid"]: s for s in _statements(env) if s["Effect"] == "Deny"}
    assert set(denies["NeverTheAccountBootstrapsIdentities"]["Resource"]) >= {
        f"arn:aws:iam::{env.account_id}:role/{env.deploy_role_name}",
        f"arn:aws:iam::{env.account_id}:role/{env.plan_role_name}",
        f"arn:aws:iam::{env.account_id}:policy/{env.plan_role_name}-*",
        env.break_glass_role_arn,
        env.permissions_boundary_arn,
        env.saml_provider_arn,
    }
    assert denies["NeverAssumeARole"]["Action"] == ["sts:AssumeRole*"]
    assert denies["NeverChangeTheStateBucket"]["Resource"] == [
        f"arn:aws:s3:::{env.state.bucket}",
        f"arn:aws:s3:::{env.state.bucket}/*",
    ]
    assert {"s3:DeleteObject", "s3:PutBucket*"} <= set(denies["NeverChangeTheStateBucket"]["Action"])


def test_the_deploy_role_reads_and_writes_only_its_own_stacks_state_lock_and_checksum(environments):
    env = environments["stage"]
    statements = {s["Sid"]: s for s in _statements(env)}
    assert statements["WriteTheStacksState"]["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert statements["WriteTheStacksState"]["Resource"] == [
        "arn:aws:s3:::northwind-terraform-state-stage/northwind-stage/terraform.tfstate"
    ]
    lock = statements["TakeAndReleaseTheStacksLock"]
    assert lock["Condition"] == {
        "ForAllValues:StringEquals": {
            "dynamodb:LeadingKeys": [
                "northwind-terraform-state-stage/northwind-stage/terraform.tfstate",
                "northwind-terraform-state-stage/northwind-stage/terraform.tfstate-md5",
            ]
        }
    }
    key = statements["UseTheStateKeyThroughS3AndDynamoDb"]
    assert key["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": ["alias/northwind-terraform-state"]}


@pytest.mark.parametrize("name", ["dev", "stage", "prod"])
def test_only_the_delivery_accounts_apply_step_of_the_environment_and_break_glass_with_mfa_may_deploy(
    environments, delivery, name
):
    env = environments[name]
    statements = json.loads(trust_document(deploy_role_principals(env, delivery)))["Statement"]
    assert [s["Condition"]["ArnEquals"]["aws:PrincipalArn"] for s in statements] == [
        f"arn:aws:iam::444444444444:role/northwind-delivery-apply-{name}",
        env.break_glass_role_arn,
    ]
    assert [s["Condition"].get("Bool") for s in statements] == [None, {"aws:MultiFactorAuthPresent": "true"}]
    assert [s["Principal"] for s in statements] == [
        {"AWS": "arn:aws:iam::444444444444:root"},
        {"AWS": f"arn:aws:iam::{env.account_id}:root"},
    ]


def test_the_apply_role_each_environments_deploy_role_trusts_is_the_one_the_pipeline_runs_its_apply_as(
    delivery_stack, environments, delivery
):
    """The trust names a role by ARN before it exists: it must be the very role the delivery stack creates."""
    roles = {b["name"] for b in delivery_stack.resources("aws_iam_role").values()}
    for env in environments.values():
        for principal in deploy_role_principals(env, delivery)[:1]:
            assert principal.role_arn.rsplit("/", 1)[1] in roles, env.name
