"""The IAM identities the account bootstrap owns, as pure functions of an account's definition.

``scripts/bootstrap_account.py`` creates them with boto3; tests read them beside the synthesized stacks, so the
permissions boundaries, Terraform's two roles and the stacks' roles are checked against each other.

- ``ACCOUNT_ROLES``: the roles the bootstrap owns: break glass, the read-only plan role and the deploy role. A
  new role is one more ``RoleSpec`` here; another principal allowed to plan or deploy is one more entry of
  ``plan_role_principals`` or ``deploy_role_principals``.
- ``boundary_document``: the permissions boundary every role of the stacks carries (the environments' and the
  delivery account's); each of Terraform's roles carries a boundary of its own (``RoleSpec.boundary``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from environments import AccountDefinition, DeliveryConfig, DeliveryStep
from modules.policy import Statement, saml_trust_statement
from scripts.deploy_permissions import account_scope, bootstrap_identity_arns, deploy_statements
from scripts.plan_permissions import pack_documents, plan_statements

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
BREAK_GLASS_SESSION_SECONDS = 3600

# What a role bounded by the workload boundary may ever do: the services the platform's roles use (their own
# policies grant the exact actions), never IAM or account changes, never switching the detective controls off,
# never a key's policy or deletion, never a bucket's policy or public access.
BOUNDED_SERVICES = (
    "athena",
    "autoscaling",
    "backup",
    "backup-storage",
    "cloudtrail",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "ec2messages",
    "events",
    "firehose",
    "glue",
    "iam",
    "kms",
    "lakeformation",
    "logs",
    "rds",
    "rds-db",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "ssmmessages",
    "states",
    "sts",
    "tag",
    "xray",
)
BOUNDARY_DENIED_ACTIONS = (
    "account:*",
    "organizations:*",
    "iam:Add*",
    "iam:Attach*",
    "iam:Create*",
    "iam:Delete*",
    "iam:Detach*",
    "iam:PassRole",
    "iam:Put*",
    "iam:Remove*",
    "iam:Set*",
    "iam:Tag*",
    "iam:Untag*",
    "iam:Update*",
    "iam:Upload*",
    "cloudtrail:DeleteTrail",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:PutInsightSelectors",
    "cloudtrail:StopLogging",
    "cloudtrail:UpdateTrail",
    "config:Delete*",
    "config:Put*",
    "config:Stop*",
    "guardduty:*",
    "securityhub:*",
    "access-analyzer:*",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "s3:DeleteBucketPolicy",
    "s3:PutAccountPublicAccessBlock",
    "s3:PutBucketAcl",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutObjectAcl",
)


# What the delivery stack's roles use (modules/delivery): builds, the connection, the artifact store, keys,
# logs, notifications, and assuming their one target role.
DELIVERY_BOUNDED_SERVICES = (
    "codebuild",
    "codeconnections",
    "codepipeline",
    "codestar-connections",
    "kms",
    "logs",
    "s3",
    "sns",
    "sts",
)


def state_reader_arns(account: AccountDefinition) -> list[str]:
    """Who may read the account's Terraform state: the plan role and the deploy role, which run Terraform, and
    break glass (repairs). The state bucket admits no one else."""
    return [account.plan_role_arn, account.deploy_role_arn, account.break_glass_role_arn]


@dataclass(frozen=True)
class Principal:
    """Who may assume a role of the bootstrap: a role, by ``aws:PrincipalArn`` under its account (IAM refuses a
    trust naming a role that does not exist yet, and the delivery account's roles come with its stack), or,
    when ``saml_provider_arn`` is set, people signed in through the workforce identity provider with MFA."""

    sid: str
    role_arn: str | None = None
    mfa: bool = False
    saml_provider_arn: str | None = None

    def statement(self) -> dict[str, object]:
        if self.saml_provider_arn:
            return {"Sid": self.sid, **saml_trust_statement(self.saml_provider_arn)}
        if self.role_arn is None:
            raise ValueError(f"principal {self.sid}: name a role or the identity provider")
        conditions: dict[str, dict[str, str]] = {"ArnEquals": {"aws:PrincipalArn": self.role_arn}}
        if self.mfa:
            conditions["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
        return {
            "Sid": self.sid,
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{self.role_arn.split(':')[4]}:root"},
            "Action": "sts:AssumeRole",
            "Condition": conditions,
        }


def trust_document(principals: list[Principal]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [p.statement() for p in principals]})


def _platform_lead(account: AccountDefinition) -> Principal:
    # The identity provider maps the platform lead's group to this role; nobody else is given it.
    return Principal("PlatformLeadThroughTheIdentityProviderWithMfa", saml_provider_arn=account.saml_provider_arn)


def deploy_role_principals(account: AccountDefinition, delivery: DeliveryConfig) -> list[Principal]:
    """Who may assume the deploy role: in an environment, the delivery account's apply step of that environment
    (after its approval) and break glass with MFA; in the delivery account, the platform lead applying the
    delivery stack by hand, and break glass with MFA."""
    if isinstance(account, DeliveryConfig):
        first = _platform_lead(account)
    else:
        first = Principal(
            "DeliveryApplyStepOfThisEnvironment", delivery.step_role_arn(DeliveryStep.APPLY, account.name)
        )
    return [first, Principal("BreakGlassWithMfa", account.break_glass_role_arn, mfa=True)]


def plan_role_principals(account: AccountDefinition, delivery: DeliveryConfig) -> list[Principal]:
    """Who may assume the read-only plan role: the delivery account's plan step of that environment, or in the
    delivery account the platform lead planning the delivery stack."""
    if isinstance(account, DeliveryConfig):
        return [_platform_lead(account)]
    return [Principal("DeliveryPlanStepOfThisEnvironment", delivery.step_role_arn(DeliveryStep.PLAN, account.name))]


def break_glass_trust(account: AccountDefinition) -> str:
    """Trust of the break-glass role: IAM principals of the account signed in with MFA within the hour (the
    break-glass users' hardware keys); every use raises an alert (modules/detection)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountPrincipalsWithRecentMfa",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account.account_id}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "Bool": {"aws:MultiFactorAuthPresent": "true"},
                        "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                    },
                }
            ],
        }
    )


def boundary_document(account: AccountDefinition) -> str:
    """The permissions boundary of every role the account's stacks create."""
    services = DELIVERY_BOUNDED_SERVICES if isinstance(account, DeliveryConfig) else BOUNDED_SERVICES
    bucket = account.state.bucket
    statements = [
        {
            "Sid": "UpToThePlatformsServices",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in services],
            "Resource": "*",
        },
        {
            "Sid": "NeverIamAccountOrDetectiveControlChangesKeyPoliciesOrBucketPolicies",
            "Effect": "Deny",
            "Action": list(BOUNDARY_DENIED_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "NeverTheTerraformStateExceptItsReaders",
            "Effect": "Deny",
            "Action": ["s3:*"],
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": state_reader_arns(account)}},
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))


def _allowed(statements: list[Statement]) -> list[str]:
    return sorted({action for s in statements if s.effect == "Allow" for action in s.actions})


def _boundary(allow: list[str], denies: list[Statement]) -> str:
    rendered = [{"Sid": "NoMoreThanItsOwnPolicies", "Effect": "Allow", "Action": allow, "Resource": "*"}]
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [*rendered, *(d.render() for d in denies)]}, separators=(",", ":")
    )


def plan_boundary_document(account: AccountDefinition) -> str:
    """The plan role's ceiling: exactly the reads its own policies grant, whatever is attached to it later;
    never a role, never data or secrets."""
    statements = plan_statements(account, account_scope(account))
    return _boundary(_allowed(statements), [s for s in statements if s.effect == "Deny"])


# Never held by the deploy role, whatever is attached to it: credentials of its own, another role, secrets.
DEPLOY_BOUNDARY_DENIED_ACTIONS = (
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreateUser",
    "secretsmanager:GetSecretValue",
    "sts:AssumeRole*",
)


def deploy_boundary_document(account: AccountDefinition) -> str:
    """The deploy role's ceiling: the services its own policies use, never the bootstrap's identities, a
    boundary's removal, credentials of its own, another role or a secret's value."""
    services = sorted({action.split(":", 1)[0] for action in _allowed(deploy_statements(account))})
    return _boundary(
        [f"{service}:*" for service in services],
        [
            Statement(
                sid="NeverTheAccountBootstrapsIdentities",
                effect="Deny",
                actions=("iam:*",),
                resources=tuple(bootstrap_identity_arns(account)),
            ),
            Statement(sid="NeverRemoveABoundary", effect="Deny", actions=("iam:DeleteRolePermissionsBoundary",)),
            Statement(sid="NeverCredentialsRolesOrSecrets", effect="Deny", actions=DEPLOY_BOUNDARY_DENIED_ACTIONS),
        ],
    )


@dataclass(frozen=True)
class RoleSpec:
    """A role the account bootstrap owns: name, trust, managed policies (AWS-managed ARNs or documents of its
    own), its permissions boundary (a document the bootstrap keeps as ``<name>-boundary``; None: none) and
    maximum session length."""

    name: str
    description: str
    trust: str
    own_policies: tuple[str, ...] = ()
    aws_managed_policies: tuple[str, ...] = ()
    boundary: str | None = None
    max_session_seconds: int = 3600

    @property
    def boundary_name(self) -> str:
        return f"{self.name}-boundary"


ACCOUNT_ROLES: tuple[Callable[[AccountDefinition, DeliveryConfig], RoleSpec], ...] = (
    # Not bounded: the repair path when everything else is broken, used with MFA and alerted on.
    lambda account, delivery: RoleSpec(
        name=account.account.break_glass_role_name,
        description="Northwind break glass: MFA only, alerts on use; key administration and repair",
        trust=break_glass_trust(account),
        aws_managed_policies=(ADMINISTRATOR_ACCESS,),
        max_session_seconds=BREAK_GLASS_SESSION_SECONDS,
    ),
    lambda account, delivery: RoleSpec(
        name=account.plan_role_name,
        description="Northwind Terraform plan role: reads state and describes resources, changes nothing",
        trust=trust_document(plan_role_principals(account, delivery)),
        own_policies=tuple(pack_documents(plan_statements(account, account_scope(account)))),
        boundary=plan_boundary_document(account),
    ),
    lambda account, delivery: RoleSpec(
        name=account.deploy_role_name,
        description="Northwind Terraform deploy role: what the stacks' resources need, nothing more",
        trust=trust_document(deploy_role_principals(account, delivery)),
        own_policies=tuple(pack_documents(deploy_statements(account))),
        boundary=deploy_boundary_document(account),
    ),
)


def account_roles(account: AccountDefinition, delivery: DeliveryConfig) -> list[RoleSpec]:
    """The roles of the account bootstrap for ``account``, in creation order."""
    return [make(account, delivery) for make in ACCOUNT_ROLES]
