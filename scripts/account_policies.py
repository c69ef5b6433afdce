"""The IAM identities the account bootstrap owns, as pure functions of an environment definition.

``scripts/bootstrap_account.py`` creates them with boto3; tests read them beside the synthesized stacks, so the
permissions boundary, the deploy role and the stacks' roles are checked against each other.

- ``ACCOUNT_ROLES``: the roles the bootstrap owns (break glass, deploy). A new role, such as a read-only plan
  role (``scripts.deploy_permissions.PLAN_READ_ACTIONS``), is one more ``RoleSpec`` here; another principal
  allowed to deploy (a delivery pipeline in another account) is one more entry of ``deploy_role_principals``.
- ``boundary_document``: the permissions boundary every role of the stacks carries.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from environments import EnvironmentConfig
from modules.naming import name_prefix
from scripts.deploy_permissions import deploy_policy_documents

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
BREAK_GLASS_SESSION_SECONDS = 3600
# The build role of the environment's delivery pipeline (modules/identity ServiceRole.DELIVERY_PIPELINE).
BUILD_ROLE_SUFFIX = "delivery-pipeline"

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
    "codebuild",
    "codestar-connections",
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


def build_role_arn(env: EnvironmentConfig) -> str:
    """The environment's delivery build role (it runs cdktf, so it reads and writes the state)."""
    return f"arn:aws:iam::{env.account_id}:role/{name_prefix(env.name)}-{BUILD_ROLE_SUFFIX}"


def state_reader_arns(env: EnvironmentConfig) -> list[str]:
    """Who may read and write the environment's Terraform state: the build role that runs cdktf, and the
    break-glass role (the first deploy, before the pipeline exists, and repairs). A read-only plan role joins
    here."""
    return [build_role_arn(env), env.break_glass_role_arn]


def deploy_role_principals(env: EnvironmentConfig) -> list[tuple[str, str, bool]]:
    """Who may assume the deploy role: (statement id, principal role ARN, MFA required)."""
    return [
        ("DeliveryBuildOfThisEnvironment", build_role_arn(env), False),
        ("BreakGlassWithMfa", env.break_glass_role_arn, True),
    ]


def _trust_by_principal_arn(env: EnvironmentConfig, principals: list[tuple[str, str, bool]]) -> str:
    """A trust naming the account and the roles by ``aws:PrincipalArn``: IAM refuses a trust naming a role that
    does not exist yet (the build role comes with the stack), but accepts a condition on its ARN."""
    statements = []
    for sid, principal_arn, mfa in principals:
        conditions: dict[str, dict[str, object]] = {"ArnEquals": {"aws:PrincipalArn": principal_arn}}
        if mfa:
            conditions["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
        statements.append(
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{env.account_id}:root"},
                "Action": "sts:AssumeRole",
                "Condition": conditions,
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def deploy_role_trust(env: EnvironmentConfig) -> str:
    """Trust of the deploy role: the environment's build role, and break glass with MFA."""
    return _trust_by_principal_arn(env, deploy_role_principals(env))


def break_glass_trust(env: EnvironmentConfig) -> str:
    """Trust of the break-glass role: IAM principals of the account signed in with MFA within the hour (the
    break-glass users' hardware keys); every use raises an alert (modules/detection)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountPrincipalsWithRecentMfa",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{env.account_id}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "Bool": {"aws:MultiFactorAuthPresent": "true"},
                        "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                    },
                }
            ],
        }
    )


def boundary_document(env: EnvironmentConfig) -> str:
    """The permissions boundary of every role the stacks create."""
    statements = [
        {
            "Sid": "UpToThePlatformsServices",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in BOUNDED_SERVICES],
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
            "Resource": [f"arn:aws:s3:::{env.state.bucket}", f"arn:aws:s3:::{env.state.bucket}/*"],
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": state_reader_arns(env)}},
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))


@dataclass(frozen=True)
class RoleSpec:
    """A role the account bootstrap owns: name, trust, managed policies (AWS-managed ARNs or documents of
    its own) and maximum session length."""

    name: str
    description: str
    trust: Callable[[EnvironmentConfig], str]
    own_policies: Callable[[EnvironmentConfig], list[str]]
    aws_managed_policies: tuple[str, ...] = ()
    max_session_seconds: int = 3600


ACCOUNT_ROLES: tuple[Callable[[EnvironmentConfig], RoleSpec], ...] = (
    lambda env: RoleSpec(
        name=env.account.break_glass_role_name,
        description="Northwind break glass: MFA only, alerts on use; key administration and repair",
        trust=break_glass_trust,
        own_policies=lambda env: [],
        aws_managed_policies=(ADMINISTRATOR_ACCESS,),
        max_session_seconds=BREAK_GLASS_SESSION_SECONDS,
    ),
    lambda env: RoleSpec(
        name=env.deploy_role_name,
        description="Northwind Terraform deploy role: what the stacks' resources need, nothing more",
        trust=deploy_role_trust,
        own_policies=deploy_policy_documents,
    ),
)


def account_roles(env: EnvironmentConfig) -> list[RoleSpec]:
    """The roles of the account bootstrap for ``env``, in creation order."""
    return [make(env) for make in ACCOUNT_ROLES]
