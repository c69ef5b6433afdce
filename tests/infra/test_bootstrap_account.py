"""Account bootstrap against moto's in-process AWS double (AWS itself cannot be reached from tests)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from environments import EnvironmentDefinitionError
from scripts.account_policies import boundary_document
from scripts.bootstrap_account import BootstrapError, app, bootstrap_account
from scripts.deploy_permissions import deploy_policy_documents

METADATA = (Path(__file__).parents[1] / "support" / "workforce-idp-metadata.xml").read_text()


@pytest.fixture(autouse=True)
def aws_managed_policies(monkeypatch):
    """The break-glass role attaches AWS's AdministratorAccess: moto loads AWS's managed policies on request."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


@pytest.fixture
def prod_in_moto_account(environments):
    return environments["prod"].model_copy(update={"account_id": "123456789012"})


def _document(value) -> dict:
    return value if isinstance(value, dict) else json.loads(unquote(value))


def test_the_bootstrap_creates_the_workforce_saml_provider_the_persona_roles_trust(aws_double, prod_in_moto_account):
    bootstrap_account(prod_in_moto_account, aws_double, METADATA)
    iam = aws_double.client("iam")
    provider = iam.get_saml_provider(SAMLProviderArn=prod_in_moto_account.saml_provider_arn)
    assert provider["SAMLMetadataDocument"] == METADATA


def test_the_bootstrap_refuses_to_create_the_provider_without_its_metadata(aws_double, prod_in_moto_account):
    with pytest.raises(BootstrapError, match=r"northwind-workforce does not exist .* pass --saml-metadata FILE"):
        bootstrap_account(prod_in_moto_account, aws_double)


def test_the_deploy_role_is_trusted_only_by_the_build_role_and_break_glass_with_mfa(aws_double, prod_in_moto_account):
    bootstrap_account(prod_in_moto_account, aws_double, METADATA)
    role = aws_double.client("iam").get_role(RoleName="northwind-terraform-deploy")["Role"]
    statements = _document(role["AssumeRolePolicyDocument"])["Statement"]
    assert [s["Condition"]["ArnEquals"]["aws:PrincipalArn"] for s in statements] == [
        "arn:aws:iam::123456789012:role/northwind-prod-delivery-pipeline",
        "arn:aws:iam::123456789012:role/northwind-break-glass",
    ]
    assert statements[1]["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}


def test_the_deploy_role_holds_its_own_policies_and_no_administrator_policy(aws_double, prod_in_moto_account):
    bootstrap_account(prod_in_moto_account, aws_double, METADATA)
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


def test_the_break_glass_role_is_reached_only_with_recent_mfa(aws_double, prod_in_moto_account):
    bootstrap_account(prod_in_moto_account, aws_double, METADATA)
    iam = aws_double.client("iam")
    role = iam.get_role(RoleName="northwind-break-glass")["Role"]
    (statement,) = _document(role["AssumeRolePolicyDocument"])["Statement"]
    assert statement["Condition"] == {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
    }
    assert role["MaxSessionDuration"] == 3600


def test_the_boundary_the_stacks_name_is_created_and_a_changed_one_becomes_a_new_default_version(
    aws_double, prod_in_moto_account
):
    bootstrap_account(prod_in_moto_account, aws_double, METADATA)
    iam = aws_double.client("iam")
    arn = prod_in_moto_account.permissions_boundary_arn
    iam.create_policy_version(
        PolicyArn=arn,
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        ),
        SetAsDefault=True,
    )
    assert bootstrap_account(prod_in_moto_account, aws_double).steps["permissions boundary"] == "updated"
    default = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    stored = iam.get_policy_version(PolicyArn=arn, VersionId=default)["PolicyVersion"]["Document"]
    assert _document(stored) == json.loads(boundary_document(prod_in_moto_account))


def test_aws_configs_service_linked_role_is_ensured_once(aws_double, prod_in_moto_account):
    assert (
        bootstrap_account(prod_in_moto_account, aws_double, METADATA).steps["config service-linked role"] == "created"
    )
    assert bootstrap_account(prod_in_moto_account, aws_double).steps["config service-linked role"] == "present"
    roles = aws_double.client("iam").list_roles(PathPrefix="/aws-service-role/config.amazonaws.com/")["Roles"]
    assert len(roles) == 1


def test_the_catalogs_default_database_athena_looks_up_is_ensured_once(aws_double, prod_in_moto_account):
    assert bootstrap_account(prod_in_moto_account, aws_double, METADATA).steps["glue default database"] == "created"
    assert bootstrap_account(prod_in_moto_account, aws_double).steps["glue default database"] == "present"
    assert aws_double.client("glue").get_database(Name="default")["Database"]["Name"] == "default"


def test_a_second_run_changes_nothing(aws_double, prod_in_moto_account):
    bootstrap_account(prod_in_moto_account, aws_double, METADATA)
    assert set(bootstrap_account(prod_in_moto_account, aws_double).steps.values()) == {"present"}


def test_a_trust_changed_by_hand_is_put_back(aws_double, prod_in_moto_account):
    bootstrap_account(prod_in_moto_account, aws_double, METADATA)
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
    assert bootstrap_account(prod_in_moto_account, aws_double).steps["role northwind-terraform-deploy"] == "updated"


def test_the_bootstrap_refuses_credentials_of_another_account(aws_double, environments):
    with pytest.raises(EnvironmentDefinitionError, match="credentials are for account 123456789012, but prod"):
        bootstrap_account(environments["prod"], aws_double, METADATA)


def test_the_command_names_a_missing_metadata_file_in_one_line(tmp_path):
    result = CliRunner().invoke(app, ["dev", "--saml-metadata", str(tmp_path / "idp.xml")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"error: --saml-metadata {tmp_path / 'idp.xml'}: no such file"]


def test_the_dry_run_says_what_it_would_ensure_without_calling_aws():
    result = CliRunner().invoke(app, ["stage", "--dry-run"])
    assert result.exit_code == 0
    assert "roles northwind-break-glass, northwind-terraform-deploy" in result.output
