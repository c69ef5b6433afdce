"""Account bootstrap against moto's in-process AWS double (AWS itself cannot be reached from tests)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from environments import EnvironmentDefinitionError
from scripts.account_policies import (
    boundary_document,
    deploy_boundary_document,
    plan_boundary_document,
)
from scripts.bootstrap_account import BootstrapError, app, bootstrap_account
from scripts.bootstrap_state import bootstrap
from scripts.deploy_permissions import deploy_policy_documents
from tests.support.codestar_connections import ConnectionsStandIn, SessionWithConnections

METADATA = (Path(__file__).parents[1] / "support" / "workforce-idp-metadata.xml").read_text()


@pytest.fixture(autouse=True)
def aws_managed_policies(monkeypatch):
    """The break-glass role attaches AWS's AdministratorAccess: moto loads AWS's managed policies on request.

    Only the ones the bootstrap attaches are loaded, from moto's own copy of AWS's: parsing all of them takes
    seconds for every account moto starts."""
    from moto.iam import models

    monkeypatch.setattr(models, "aws_managed_policies_data", _attached_managed_policies())
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


@functools.cache
def _attached_managed_policies() -> str:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    every_policy = json.loads(aws_managed_policies_data)
    return json.dumps({name: every_policy[name] for name in ("AdministratorAccess",)})


@pytest.fixture
def prod_in_moto_account(environments):
    return environments["prod"].model_copy(update={"account_id": "123456789012"})


@pytest.fixture
def delivery_in_moto_account(delivery):
    return delivery.model_copy(update={"account_id": "123456789012"})


@pytest.fixture
def delivery_session(aws_double):
    """moto, with the stand-in for CodeStar Connections (moto has none)."""
    return SessionWithConnections(aws_double, ConnectionsStandIn("123456789012", "eu-west-2"))


def _bootstrap(account, delivery, session, metadata=None):
    return bootstrap_account(account, delivery, session, metadata).report


def _trust(iam, name: str) -> list[dict]:
    return _document(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"])["Statement"]


def _document(value) -> dict:
    return value if isinstance(value, dict) else json.loads(unquote(value))


def test_the_bootstrap_creates_the_workforce_saml_provider_the_persona_roles_trust(
    aws_double, prod_in_moto_account, delivery
):
    _bootstrap(prod_in_moto_account, delivery, aws_double, METADATA)
    iam = aws_double.client("iam")
    provider = iam.get_saml_provider(SAMLProviderArn=prod_in_moto_account.saml_provider_arn)
    assert provider["SAMLMetadataDocument"] == METADATA


def test_the_bootstrap_refuses_to_create_the_provider_without_its_metadata(aws_double, prod_in_moto_account, delivery):
    with pytest.raises(BootstrapError, match=r"northwind-workforce does not exist .* pass --saml-metadata FILE"):
        _bootstrap(prod_in_moto_account, delivery, aws_double)


def test_the_deploy_role_is_trusted_only_by_the_delivery_accounts_apply_step_of_its_environment_and_break_glass(
    aws_double, prod_in_moto_account, delivery
):
    _bootstrap(prod_in_moto_account, delivery, aws_double, METADATA)
    statements = _trust(aws_double.client("iam"), "northwind-terraform-deploy")
    assert [(s["Principal"], s["Condition"]["ArnEquals"]["aws:PrincipalArn"]) for s in statements] == [
        ({"AWS": "arn:aws:iam::444444444444:root"}, "arn:aws:iam::444444444444:role/northwind-delivery-apply-prod"),
        ({"AWS": "arn:aws:iam::123456789012:root"}, "arn:aws:iam::123456789012:role/northwind-break-glass"),
    ]
    assert "Bool" not in statements[0]["Condition"]
    assert statements[1]["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}


def test_the_plan_role_is_trusted_only_by_the_delivery_accounts_plan_step_of_its_environment(
    aws_double, prod_in_moto_account, delivery
):
    _bootstrap(prod_in_moto_account, delivery, aws_double, METADATA)
    (statement,) = _trust(aws_double.client("iam"), "northwind-terraform-plan")
    assert statement["Principal"] == {"AWS": "arn:aws:iam::444444444444:root"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::444444444444:role/northwind-delivery-plan-prod"}
    }


def test_terraforms_two_roles_carry_their_own_boundaries_and_break_glass_none(
    aws_double, prod_in_moto_account, delivery
):
    _bootstrap(prod_in_moto_account, delivery, aws_double, METADATA)
    iam = aws_double.client("iam")
    for name, document in (
        ("northwind-terraform-plan", plan_boundary_document(prod_in_moto_account)),
        ("northwind-terraform-deploy", deploy_boundary_document(prod_in_moto_account)),
    ):
        arn = iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
        assert arn == f"arn:aws:iam::123456789012:policy/{name}-boundary"
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        stored = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        assert _document(stored) == json.loads(document)
    assert "PermissionsBoundary" not in iam.get_role(RoleName="northwind-break-glass")["Role"]


def test_a_boundary_removed_by_hand_is_put_back(aws_double, prod_in_moto_account, delivery):
    _bootstrap(prod_in_moto_account, delivery, aws_double, METADATA)
    iam = aws_double.client("iam")
    iam.delete_role_permissions_boundary(RoleName="northwind-terraform-plan")
    assert _bootstrap(prod_in_moto_account, delivery, aws_double).steps["role northwind-terraform-plan"] == "updated"
    assert "PermissionsBoundary" in iam.get_role(RoleName="northwind-terraform-plan")["Role"]


def test_the_deploy_role_holds_its_own_policies_and_no_administrator_policy(aws_double, prod_in_moto_account, delivery):
    _bootstrap(prod_in_moto_account, delivery, aws_double, METADATA)
    iam = aws_double.client("iam")
    attached = iam.list_attached_role_policies(RoleName="northwind-terraform-deploy")["AttachedPolicies"]
    documents = deploy_policy_documents(prod_in_moto_account)
    assert [p["PolicyName"] for p in attached] == [
        f"northwind-terraform-deploy-{i}" for i in range(1, len(documents) + 1)
    ]
    for policy, document in zip(attached, documents, strict=True):
        version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
        stored = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
        assert _document(stored) == json.loads(document)


def test_the_break_glass_role_is_reached_only_with_recent_mfa(aws_double, prod_in_moto_account, delivery):
    _bootstrap(prod_in_moto_account, delivery, aws_double, METADATA)
    iam = aws_double.client("iam")
    role = iam.get_role(RoleName="northwind-break-glass")["Role"]
    (statement,) = _document(role["AssumeRolePolicyDocument"])["Statement"]
    assert statement["Condition"] == {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
    }
    assert role["MaxSessionDuration"] == 3600


def test_the_boundary_the_stacks_name_is_created_and_a_changed_one_becomes_a_new_default_version(
    aws_double, prod_in_moto_account, delivery
):
    _bootstrap(prod_in_moto_account, delivery, aws_double, METADATA)
    iam = aws_double.client("iam")
    arn = prod_in_moto_account.permissions_boundary_arn
    iam.create_policy_version(
        PolicyArn=arn,
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        ),
        SetAsDefault=True,
    )
    assert _bootstrap(prod_in_moto_account, delivery, aws_double).steps["permissions boundary"] == "updated"
    default = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    stored = iam.get_policy_version(PolicyArn=arn, VersionId=default)["PolicyVersion"]["Document"]
    assert _document(stored) == json.loads(boundary_document(prod_in_moto_account))


def test_aws_configs_service_linked_role_is_ensured_once(aws_double, prod_in_moto_account, delivery):
    assert (
        _bootstrap(prod_in_moto_account, delivery, aws_double, METADATA).steps["config service-linked role"]
        == "created"
    )
    assert _bootstrap(prod_in_moto_account, delivery, aws_double).steps["config service-linked role"] == "present"
    roles = aws_double.client("iam").list_roles(PathPrefix="/aws-service-role/config.amazonaws.com/")["Roles"]
    assert len(roles) == 1


def test_the_catalogs_default_database_athena_looks_up_is_ensured_once(aws_double, prod_in_moto_account, delivery):
    assert _bootstrap(prod_in_moto_account, delivery, aws_double, METADATA).steps["glue default database"] == "created"
    assert _bootstrap(prod_in_moto_account, delivery, aws_double).steps["glue default database"] == "present"
    assert aws_double.client("glue").get_database(Name="default")["Database"]["Name"] == "default"


def test_a_second_run_changes_nothing(aws_double, prod_in_moto_account, delivery):
    _bootstrap(prod_in_moto_account, delivery, aws_double, METADATA)
    assert set(_bootstrap(prod_in_moto_account, delivery, aws_double).steps.values()) == {"present"}


def test_a_trust_changed_by_hand_is_put_back(aws_double, prod_in_moto_account, delivery):
    _bootstrap(prod_in_moto_account, delivery, aws_double, METADATA)
    iam = aws_double.client("iam")
    iam.update_assume_role_policy(
        RoleName="northwind-terraform-deploy",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
            }
        ),
    )
    assert _bootstrap(prod_in_moto_account, delivery, aws_double).steps["role northwind-terraform-deploy"] == "updated"


def test_the_bootstrap_refuses_credentials_of_another_account(aws_double, environments, delivery):
    with pytest.raises(EnvironmentDefinitionError, match="credentials are for account 123456789012, but prod"):
        _bootstrap(environments["prod"], delivery, aws_double, METADATA)


def test_the_command_names_a_missing_metadata_file_in_one_line(tmp_path):
    result = CliRunner().invoke(app, ["dev", "--saml-metadata", str(tmp_path / "idp.xml")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"error: --saml-metadata {tmp_path / 'idp.xml'}: no such file"]


def test_the_dry_run_says_what_it_would_ensure_without_calling_aws():
    result = CliRunner().invoke(app, ["stage", "--dry-run"])
    assert result.exit_code == 0
    assert "roles northwind-break-glass, northwind-terraform-plan, northwind-terraform-deploy" in result.output


def test_the_delivery_accounts_dry_run_names_its_github_connection_instead_of_the_environments_steps():
    result = CliRunner().invoke(app, ["delivery", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "GitHub connection northwind-github in eu-west-2" in result.output
    assert "AWSServiceRoleForConfig" not in result.output


def test_the_delivery_account_bootstrap_creates_the_platform_leads_roles_and_a_pending_github_connection(
    delivery_session, delivery_in_moto_account
):
    done = bootstrap_account(delivery_in_moto_account, delivery_in_moto_account, delivery_session, METADATA)
    assert done.connection_status == "PENDING"
    assert done.report.steps["github connection northwind-github"] == "created"
    assert "config service-linked role" not in done.report.steps and "glue default database" not in done.report.steps
    (connection,) = delivery_session.connections.connections
    assert (connection["ConnectionName"], connection["ProviderType"]) == ("northwind-github", "GitHub")
    iam = delivery_session.client("iam")
    for name in ("northwind-terraform-plan", "northwind-terraform-deploy"):
        first = _trust(iam, name)[0]
        assert first["Principal"] == {"Federated": delivery_in_moto_account.saml_provider_arn}, name
        assert first["Condition"]["StringEquals"]["aws:RequestTag/mfa-authenticated"] == "true", name
    assert len(_trust(iam, "northwind-terraform-plan")) == 1


def test_a_second_delivery_bootstrap_finds_the_connection_by_name_across_pages_and_creates_no_other(
    delivery_session, delivery_in_moto_account
):
    for other in ("a", "b", "c"):
        delivery_session.connections.create_connection(ProviderType="GitHub", ConnectionName=f"other-{other}")
    bootstrap_account(delivery_in_moto_account, delivery_in_moto_account, delivery_session, METADATA)
    again = bootstrap_account(delivery_in_moto_account, delivery_in_moto_account, delivery_session)
    assert set(again.report.steps.values()) == {"present"}
    assert [c["ConnectionName"] for c in delivery_session.connections.connections].count("northwind-github") == 1


def test_two_connections_of_the_same_name_are_refused_because_the_stack_looks_it_up_by_name(
    delivery_session, delivery_in_moto_account
):
    for _ in range(2):
        delivery_session.connections.create_connection(ProviderType="GitHub", ConnectionName="northwind-github")
    with pytest.raises(BootstrapError, match=r"2 connections are named northwind-github; .* delete the extra ones"):
        bootstrap_account(delivery_in_moto_account, delivery_in_moto_account, delivery_session, METADATA)


def test_the_delivery_accounts_state_backend_admits_only_its_plan_and_deploy_roles_and_break_glass(
    aws_double, delivery_in_moto_account
):
    bootstrap(delivery_in_moto_account, aws_double)
    policy = json.loads(
        aws_double.client("s3").get_bucket_policy(Bucket="northwind-terraform-state-delivery")["Policy"]
    )
    (readers,) = [s for s in policy["Statement"] if s["Sid"] == "DenyObjectAccessToAllButTheStateRoles"]
    assert readers["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == [
        "arn:aws:iam::123456789012:role/northwind-terraform-plan",
        "arn:aws:iam::123456789012:role/northwind-terraform-deploy",
        "arn:aws:iam::123456789012:role/northwind-break-glass",
    ]
