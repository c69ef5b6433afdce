"""The deploy role, defined in code: what the stacks' resources need, scoped to the environment, never an
administrator. Read beside the synthesized stacks, so a new resource type cannot go unpermitted."""

from __future__ import annotations

import json

import pytest

from scripts.account_policies import account_roles, deploy_role_trust
from scripts.deploy_permissions import (
    ATTACHABLE_MANAGED_POLICIES,
    DATA_SOURCE_READS,
    DEPLOY_ACTIONS,
    MANAGED_POLICIES_PER_ROLE,
    MANAGED_POLICY_MAX_CHARS,
    PASSED_TO_SERVICES,
    RESOURCELESS_ACTIONS,
    deploy_policy_documents,
)
from tests.infra.stack_json import as_list
from tests.infra.test_identity import policy_violations


def _statements(env) -> list[dict]:
    return [s for document in deploy_policy_documents(env) for s in json.loads(document)["Statement"]]


def test_the_deploy_role_may_change_every_resource_and_data_source_type_the_stacks_declare(environment_stacks):
    declared = {t for stack in environment_stacks.values() for t in stack.config.get("resource", {})}
    read = {t for stack in environment_stacks.values() for t in stack.config.get("data", {})}
    assert declared - set(DEPLOY_ACTIONS) == set()
    assert read - set(DATA_SOURCE_READS) == set()


def test_the_deploy_role_fits_iams_managed_policy_size_and_attachment_limits(environments):
    for env in environments.values():
        documents = deploy_policy_documents(env)
        assert len(documents) <= MANAGED_POLICIES_PER_ROLE
        assert all(len(json.dumps(json.loads(d), separators=(",", ":"))) <= MANAGED_POLICY_MAX_CHARS for d in documents)


def test_the_deploy_role_is_no_administrator_no_wildcard_action_and_data_services_scoped_by_name(environments):
    for env in environments.values():
        (deploy,) = [spec for spec in account_roles(env) if spec.name == env.deploy_role_name]
        assert deploy.aws_managed_policies == ()
        # Actions AWS authorizes on no resource are judged apart: they can only be granted on "*".
        allows = [
            {**s, "Action": [a for a in s["Action"] if a not in RESOURCELESS_ACTIONS]}
            for s in _statements(env)
            if s["Effect"] == "Allow"
        ]
        assert policy_violations("deploy-role", env.deploy_role_name, {"Statement": allows}) == []
        assert {a for s in _statements(env) for a in s["Action"] if a in RESOURCELESS_ACTIONS} == set(
            RESOURCELESS_ACTIONS
        )


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


def test_the_deploy_role_may_pass_roles_to_exactly_the_services_the_stacks_roles_trust(
    environment_stacks, environments
):
    trusted = {
        s["Principal"]["Service"]
        for stack in environment_stacks.values()
        for role in stack.resources("aws_iam_role").values()
        for s in as_list(json.loads(role["assume_role_policy"])["Statement"])
        if "Service" in s["Principal"]
    }
    assert trusted == set(PASSED_TO_SERVICES)
    env = environments["dev"]
    (passing,) = [s for s in _statements(env) if s["Sid"] == "PassTheEnvironmentsRolesToItsServices"]
    assert passing["Resource"] == [f"arn:aws:iam::{env.account_id}:role/northwind-dev-*"]


def test_the_deploy_role_can_never_touch_the_account_bootstraps_identities_or_the_terraform_state(environments):
    env = environments["prod"]
    denies = {s["Sid"]: s for s in _statements(env) if s["Effect"] == "Deny"}
    assert set(denies["NeverTheAccountBootstrapsIdentities"]["Resource"]) >= {
        f"arn:aws:iam::{env.account_id}:role/{env.deploy_role_name}",
        env.break_glass_role_arn,
        env.permissions_boundary_arn,
        env.saml_provider_arn,
    }
    assert denies["NeverTheTerraformState"]["Resource"] == [
        f"arn:aws:s3:::{env.state.bucket}",
        f"arn:aws:s3:::{env.state.bucket}/*",
    ]


@pytest.mark.parametrize("name", ["dev", "stage", "prod"])
def test_only_the_environments_build_role_and_break_glass_with_mfa_may_assume_the_deploy_role(environments, name):
    env = environments[name]
    statements = json.loads(deploy_role_trust(env))["Statement"]
    assert [s["Condition"]["ArnEquals"]["aws:PrincipalArn"] for s in statements] == [
        f"arn:aws:iam::{env.account_id}:role/northwind-{name}-delivery-pipeline",
        env.break_glass_role_arn,
    ]
    assert [s["Condition"].get("Bool") for s in statements] == [None, {"aws:MultiFactorAuthPresent": "true"}]
    assert {json.dumps(s["Principal"]) for s in statements} == {
        json.dumps({"AWS": f"arn:aws:iam::{env.account_id}:root"})
    }
