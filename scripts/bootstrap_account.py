"""Create (or verify) what an account needs before any stack: once per account, an environment's or the
delivery account's.

    python -m scripts.bootstrap_account ENV|delivery [--saml-metadata FILE] [--dry-run]

Run with administrator credentials of the account, before ``scripts.bootstrap_state`` and the first plan
(docs/adr/0075-account-bootstrap-outside-the-stacks.md). Idempotent: each step reports ``created``, ``updated``
or ``present``, and existing resources are brought to what the code says.

1. the workforce SAML identity provider the persona roles (and, in the delivery account, the platform lead)
   trust, its metadata from ``--saml-metadata``;
2. the permissions boundary every role of the account's stacks carries;
3. the roles of ``scripts.account_policies.ACCOUNT_ROLES``: break glass (MFA only), the read-only plan role and
   the deploy role, each with its managed policies and its own permissions boundary;
4. in an environment's account: AWS Config's service-linked role, which the stack's recorder and audit key
   name, and the Glue Data Catalog's ``default`` database, which Athena looks up before every query of Lake
   Formation data (the stacks grant it DESCRIBE, modules/query) but a fresh account's catalog does not have;
5. in the delivery account: the GitHub connection the pipeline's source reads. AWS creates it PENDING; a person
   completes its one handshake with GitHub in the console (docs/runbooks/new-environment.md#the-delivery-account).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote

import typer
from botocore.exceptions import ClientError

from environments import (
    DELIVERY_NAME,
    AccountDefinition,
    DeliveryConfig,
    EnvironmentDefinitionError,
    load_account,
    load_delivery,
)
from scripts.account_policies import RoleSpec, account_roles, boundary_document
from scripts.bootstrap_state import BootstrapReport, require_account

app = typer.Typer(add_completion=False, help=__doc__)
CONFIG_SERVICE = "config.amazonaws.com"
CONFIG_SERVICE_LINKED_ROLE = "AWSServiceRoleForConfig"
DEFAULT_DATABASE = "default"
CONNECTION_PROVIDER = "GitHub"
CONNECTION_HANDSHAKE = (
    "complete it once in the console: Developer Tools > Settings > Connections > {name} > Update pending "
    "connection, then install or choose the AWS Connector for GitHub app for {repository}; until then the "
    "pipeline's source fails"
)
# IAM keeps at most five versions of a managed policy; one is freed before each new version.
POLICY_VERSIONS_KEPT = 4
TAGS = [{"Key": "project", "Value": "northwind"}, {"Key": "managed-by", "Value": "account-bootstrap"}]


class BootstrapError(RuntimeError):
    """The account cannot be bootstrapped as asked; the message says what to do."""


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _document(value) -> dict:
    """A policy document as IAM returns it (a dict, or URL-encoded JSON), parsed."""
    return value if isinstance(value, dict) else json.loads(unquote(value))


def _saml_provider(iam, env: AccountDefinition, metadata: str | None, report: BootstrapReport) -> None:
    step = "saml provider"
    try:
        current = iam.get_saml_provider(SAMLProviderArn=env.saml_provider_arn)
    except ClientError as error:
        if _code(error) != "NoSuchEntity":
            raise
        if metadata is None:
            raise BootstrapError(
                f"the workforce identity provider {env.account.saml_provider_name} does not exist in "
                f"{env.account_id}; pass --saml-metadata FILE (the identity provider's SAML metadata XML)"
            ) from None
        iam.create_saml_provider(Name=env.account.saml_provider_name, SAMLMetadataDocument=metadata, Tags=TAGS)
        report.note(step, "created")
        return
    report.note(step, "present")
    if metadata is not None and current.get("SAMLMetadataDocument") != metadata:
        iam.update_saml_provider(SAMLProviderArn=env.saml_provider_arn, SAMLMetadataDocument=metadata)
        report.note(step, "updated")


def _managed_policy(iam, arn: str, name: str, document: str, step: str, report: BootstrapReport) -> None:
    """Create the policy, or make ``document`` its default version when it differs."""
    try:
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
    except ClientError as error:
        if _code(error) != "NoSuchEntity":
            raise
        iam.create_policy(PolicyName=name, PolicyDocument=document, Tags=TAGS)
        report.note(step, "created")
        return
    report.note(step, "present")
    default = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    if _document(default["Document"]) == json.loads(document):
        return
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    for old in sorted((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])[
        : max(0, len(versions) - POLICY_VERSIONS_KEPT)
    ]:
        iam.delete_policy_version(PolicyArn=arn, VersionId=old["VersionId"])
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document, SetAsDefault=True)
    report.note(step, "updated")


def _role(iam, env: AccountDefinition, spec: RoleSpec, report: BootstrapReport) -> None:
    step = f"role {spec.name}"
    trust = spec.trust
    boundary_arn = None
    if spec.boundary is not None:
        # The boundary exists before the role names it: IAM refuses a boundary that is not there.
        boundary_arn = f"arn:aws:iam::{env.account_id}:policy/{spec.boundary_name}"
        _managed_policy(iam, boundary_arn, spec.boundary_name, spec.boundary, step, report)
    try:
        role = iam.get_role(RoleName=spec.name)["Role"]
    except ClientError as error:
        if _code(error) != "NoSuchEntity":
            raise
        iam.create_role(
            RoleName=spec.name,
            AssumeRolePolicyDocument=trust,
            Description=spec.description,
            MaxSessionDuration=spec.max_session_seconds,
            Tags=TAGS,
            **({"PermissionsBoundary": boundary_arn} if boundary_arn else {}),
        )
        report.note(step, "created")
    else:
        report.note(step, "present")
        if _document(role["AssumeRolePolicyDocument"]) != json.loads(trust):
            iam.update_assume_role_policy(RoleName=spec.name, PolicyDocument=trust)
            report.note(step, "updated")
        if role.get("MaxSessionDuration") != spec.max_session_seconds:
            iam.update_role(RoleName=spec.name, MaxSessionDuration=spec.max_session_seconds)
            report.note(step, "updated")
        if boundary_arn and role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") != boundary_arn:
            iam.put_role_permissions_boundary(RoleName=spec.name, PermissionsBoundary=boundary_arn)
            report.note(step, "updated")
    wanted = list(spec.aws_managed_policies)
    for index, document in enumerate(spec.own_policies, start=1):
        name = f"{spec.name}-{index}"
        arn = f"arn:aws:iam::{env.account_id}:policy/{name}"
        _managed_policy(iam, arn, name, document, step, report)
        wanted.append(arn)
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=spec.name)["AttachedPolicies"]}
    for arn in sorted(set(wanted) - attached):
        iam.attach_role_policy(RoleName=spec.name, PolicyArn=arn)
        report.note(step, "updated")
    for arn in sorted(attached - set(wanted)):
        iam.detach_role_policy(RoleName=spec.name, PolicyArn=arn)
        report.note(step, "updated")


def _config_service_linked_role(iam, report: BootstrapReport) -> None:
    step = "config service-linked role"
    try:
        iam.get_role(RoleName=CONFIG_SERVICE_LINKED_ROLE)
    except ClientError as error:
        if _code(error) != "NoSuchEntity":
            raise
        try:
            iam.create_service_linked_role(AWSServiceName=CONFIG_SERVICE)
        except ClientError as taken:
            # IAM answers InvalidInput "has been taken" when the role exists under the service's own name.
            if _code(taken) not in ("InvalidInput", "EntityAlreadyExists"):
                raise
            report.note(step, "present")
        else:
            report.note(step, "created")
    else:
        report.note(step, "present")


def _default_catalog_database(glue, report: BootstrapReport) -> None:
    step = "glue default database"
    try:
        glue.get_database(Name=DEFAULT_DATABASE)
    except ClientError as error:
        if _code(error) != "EntityNotFoundException":
            raise
        glue.create_database(
            DatabaseInput={"Name": DEFAULT_DATABASE, "Description": "Looked up by Athena before each query"}
        )
        report.note(step, "created")
    else:
        report.note(step, "present")


def _connections(client) -> list[dict]:
    """Every GitHub connection of the account: connections are found by name only by listing, so every page."""
    found, token = [], None
    while True:
        page = client.list_connections(
            ProviderTypeFilter=CONNECTION_PROVIDER, **({"NextToken": token} if token else {})
        )
        found += page.get("Connections", [])
        token = page.get("NextToken")
        if not token:
            return found


def _github_connection(client, delivery: DeliveryConfig, report: BootstrapReport) -> str:
    """The pipeline's GitHub connection, created once under ``connection_name``; returns its status."""
    step = f"github connection {delivery.connection_name}"
    named = [c for c in _connections(client) if c["ConnectionName"] == delivery.connection_name]
    if len(named) > 1:
        raise BootstrapError(
            f"{len(named)} connections are named {delivery.connection_name}; the stack looks it up by name, so "
            "delete the extra ones (aws codestar-connections delete-connection) and run again"
        )
    if named:
        report.note(step, "present")
        return named[0]["ConnectionStatus"]
    created = client.create_connection(
        ProviderType=CONNECTION_PROVIDER, ConnectionName=delivery.connection_name, Tags=TAGS
    )
    report.note(step, "created")
    return client.get_connection(ConnectionArn=created["ConnectionArn"])["Connection"]["ConnectionStatus"]


@dataclass
class AccountBootstrap:
    """What the account bootstrap did (``report``), and in the delivery account the GitHub connection's status."""

    report: BootstrapReport
    connection_status: str | None = None


def bootstrap_account(
    account: AccountDefinition, delivery: DeliveryConfig, session, saml_metadata: str | None = None
) -> AccountBootstrap:
    """Create or verify the baseline of ``account`` (see the module docstring); ``delivery`` names the roles
    an environment's Terraform roles trust."""
    require_account(session, account)
    iam = session.client("iam")
    report = BootstrapReport()
    _saml_provider(iam, account, saml_metadata, report)
    _managed_policy(
        iam,
        account.permissions_boundary_arn,
        account.account.permissions_boundary_name,
        boundary_document(account),
        "permissions boundary",
        report,
    )
    for spec in account_roles(account, delivery):
        _role(iam, account, spec, report)
    if isinstance(account, DeliveryConfig):
        client = session.client("codestar-connections", region_name=account.region)
        return AccountBootstrap(report, _github_connection(client, account, report))
    _config_service_linked_role(iam, report)
    _default_catalog_database(session.client("glue", region_name=account.region), report)
    return AccountBootstrap(report)


@app.command()
def main(
    env_name: Annotated[
        str, typer.Argument(metavar="ENV", help=f"Environment whose account to bootstrap, or {DELIVERY_NAME}.")
    ],
    saml_metadata: Annotated[
        Path | None, typer.Option(help="The workforce identity provider's SAML metadata XML (needed to create it).")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Only say what would be ensured.")] = False,
) -> None:
    try:
        env = load_account(env_name)
        delivery = env if isinstance(env, DeliveryConfig) else load_delivery()
    except EnvironmentDefinitionError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    roles = ", ".join(spec.name for spec in account_roles(env, delivery))
    if dry_run:
        own = (
            f"GitHub connection {delivery.connection_name} in {env.region}"
            if env is delivery
            else f"{CONFIG_SERVICE_LINKED_ROLE}, Glue database {DEFAULT_DATABASE} in {env.region}"
        )
        typer.echo(
            f"would ensure in account {env.account_id}: SAML provider {env.account.saml_provider_name}, "
            f"boundary {env.account.permissions_boundary_name}, roles {roles}, {own}"
        )
        return
    if saml_metadata is not None and not saml_metadata.is_file():
        typer.echo(f"error: --saml-metadata {saml_metadata}: no such file", err=True)
        raise typer.Exit(2)
    import boto3

    metadata = saml_metadata.read_text(encoding="utf-8") if saml_metadata else None
    try:
        done = bootstrap_account(env, delivery, boto3.Session(), metadata)
    except (EnvironmentDefinitionError, BootstrapError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    done.report.echo()
    if done.connection_status not in (None, "AVAILABLE"):
        handshake = CONNECTION_HANDSHAKE.format(name=delivery.connection_name, repository=delivery.repository)
        typer.echo(f"github connection {delivery.connection_name} is {done.connection_status}: {handshake}")
    typer.echo(f"account {env.account_id} is ready for {env.name}; its state backend comes next (make state-backend)")


if __name__ == "__main__":
    sys.exit(app())
