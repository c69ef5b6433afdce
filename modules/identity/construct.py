"""IAM roles for the brief's personas and for the platform's services."""

from __future__ import annotations

from collections.abc import Iterable

from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kms_grant import KmsGrant
from constructs import Construct

from modules.identity.policies import persona_statements, service_statements
from modules.identity.props import SERVICE_PRINCIPALS, IdentityProps, Persona, ServiceRole, service_source_arn
from modules.naming import resource_name
from modules.policy import Statement, assume_role_policy, persona_trust_policy, policy_json

RoleKey = Persona | ServiceRole


def service_trust_policy(service: ServiceRole, props: IdentityProps) -> str:
    """A service role's trust: its service principal, acting for this account and its own resources only."""
    principal = SERVICE_PRINCIPALS[service]
    source_arn = service_source_arn(service, props)
    return assume_role_policy(
        principal,
        source_account=None if source_arn is None else props.account_id,
        source_arn=source_arn,
    )


class Identity(Construct):
    """One role per persona (federated through the workforce identity provider, one-hour sessions) and per
    service, each with one inline least-privilege policy; an instance profile for the analytics instances; a
    KMS grant on the lake key for the Glue jobs' client-side bookmark encryption.

    Exposes ``roles`` (Persona or ServiceRole -> ``IamRole``), ``policies`` (key -> its inline policies),
    ``role_arn(key)``, ``instance_role``, ``instance_profile_name``, ``instance_profile_arn``, and hooks for other
    capabilities:
    ``grant_secret_read``, ``grant_log_write`` and ``add_policy``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: IdentityProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.roles: dict[RoleKey, IamRole] = {}
        self.policies: dict[RoleKey, list[IamRolePolicy]] = {}
        for persona in Persona:
            self._role(persona, persona_trust_policy(props.saml_provider_arn), persona_statements(persona, props))
        for service in ServiceRole:
            self._role(service, service_trust_policy(service, props), service_statements(service, props))
        # The lake key's policy admits principals only through S3 and Glue; Glue jobs also encrypt their
        # bookmarks client-side (CSE-KMS) with it, so their role gets a grant for exactly those operations.
        KmsGrant(
            self,
            "glue-jobs-lake-key-grant",
            name=resource_name(props.name_prefix, "glue-jobs-bookmarks"),
            key_id=props.lake_kms_key_arn,
            grantee_principal=self.role_arn(ServiceRole.GLUE_JOBS),
            operations=["Decrypt", "Encrypt", "GenerateDataKey"],
        )
        self.instance_role = self.roles[ServiceRole.ANALYTICS_INSTANCES]
        profile = IamInstanceProfile(
            self,
            "analytics-instances-profile",
            name=resource_name(props.name_prefix, ServiceRole.ANALYTICS_INSTANCES.value, max_length=128),
            role=self.instance_role.name,
        )
        self.instance_profile_name: str = profile.name
        self.instance_profile_arn: str = profile.arn

    def _role(self, key: RoleKey, trust_policy: str, statements: list[Statement]) -> None:
        kind = "persona" if isinstance(key, Persona) else "service"
        role = IamRole(
            self,
            f"{key.value}-role",
            name=resource_name(self.props.name_prefix, key.value, max_length=64),
            description=f"Northwind {kind} role: {key.value}",
            assume_role_policy=trust_policy,
            max_session_duration=3600,
            tags={kind: key.value},
        )
        self.roles[key] = role
        self.add_policy(key, "access", statements)

    def role_arn(self, key: RoleKey) -> str:
        """The ARN of a persona's or service's role."""
        return self.roles[key].arn

    def add_policy(self, key: RoleKey, name: str, statements: Iterable[Statement]) -> IamRolePolicy:
        """Attach one more inline policy ``<role>-<name>`` to a role; the least-privilege test reads it too.
        ``policies[key]`` collects them, for resources a service checks the role of when they are created."""
        policy = IamRolePolicy(
            self,
            f"{key.value}-{name}-policy",
            role=self.roles[key].id,
            name=f"{key.value}-{name}",
            policy=policy_json(statements),
        )
        self.policies.setdefault(key, []).append(policy)
        return policy

    def grant_secret_read(self, key: RoleKey, name: str, secret_arn: str, kms_key_arn: str) -> None:
        """Let a role read one secret (e.g. the database's managed master secret) and decrypt it."""
        self.add_policy(
            key,
            name,
            [
                Statement(
                    sid="ReadSecret",
                    actions=("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"),
                    resources=(secret_arn,),
                ),
                Statement(
                    sid="DecryptSecretThroughSecretsManager",
                    actions=("kms:Decrypt",),
                    resources=(kms_key_arn,),
                    conditions={
                        "StringEquals": {"kms:ViaService": f"secretsmanager.{self.props.region}.amazonaws.com"}
                    },
                ),
            ],
        )

    def grant_log_write(self, key: RoleKey, name: str, log_group_arn: str) -> IamRolePolicy:
        """Let a role write log streams into one log group (e.g. the analytics service's)."""
        return self.add_policy(
            key,
            name,
            [
                Statement(
                    sid="WriteLogs",
                    actions=("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"),
                    resources=(log_group_arn, f"{log_group_arn}:*"),
                )
            ],
        )
