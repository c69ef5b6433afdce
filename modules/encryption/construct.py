"""The encryption construct: a KMS key per purpose."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from modules.encryption.props import EncryptionProps, KeyPurpose
from modules.policy import Statement, policy_json

# Key administration without the ability to use the key for data (AWS's "key administrators" statement,
# spelled out so that no principal holds kms:*).
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
KEY_USE_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")
# What CloudWatch Logs needs on a log group's key, as AWS documents it.
LOGS_KEY_ACTIONS = ("kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*")


def key_administration(account_id: str, admin_role_arns: tuple[str, ...], break_glass_role_arn: str) -> list[Statement]:
    """Who administers a key: the administrators, and the break-glass role with MFA.

    Both name the account as principal and the roles by ``aws:PrincipalArn``, so the policy never depends on a
    role existing: KMS refuses a key policy naming a missing role, and a deleted role named as principal would
    leave a key nobody can administer; a role re-created under the same name regains its access here.
    """
    account_root = f"arn:aws:iam::{account_id}:root"
    return [
        Statement(
            sid="KeyAdministration",
            actions=KEY_ADMIN_ACTIONS,
            principals={"AWS": account_root},
            conditions={"ArnEquals": {"aws:PrincipalArn": list(admin_role_arns)}},
        ),
        Statement(
            sid="BreakGlassKeyAdministration",
            actions=KEY_ADMIN_ACTIONS,
            principals={"AWS": account_root},
            conditions={
                "ArnEquals": {"aws:PrincipalArn": [break_glass_role_arn]},
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
            },
        ),
    ]


def logs_service_statement(account_id: str, region: str) -> Statement:
    """CloudWatch Logs of this account and region may use the key for its log groups (AWS's documented form: the
    ``kms:EncryptionContext:aws:logs:arn`` condition, which Logs sets to the log group's ARN)."""
    return Statement(
        sid="UseByCloudWatchLogsForThisAccountsLogGroups",
        actions=LOGS_KEY_ACTIONS,
        principals={"Service": f"logs.{region}.amazonaws.com"},
        conditions={
            "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account_id}:log-group:*"}
        },
    )


# What Terraform reads to plan a key: no data use, no change.
KEY_READ_ACTIONS = ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags")


def key_reader_statements(account_id: str, reader_arns: tuple[str, ...]) -> list[Statement]:
    """A key policy statement letting ``reader_arns`` read a key's metadata, policy and tags; nothing if none.
    Named by ``aws:PrincipalArn`` like the administrators, so the policy never depends on the role existing."""
    if not reader_arns:
        return []
    return [
        Statement(
            sid="KeyMetadataReaders",
            actions=KEY_READ_ACTIONS,
            principals={"AWS": f"arn:aws:iam::{account_id}:root"},
            conditions={"ArnEquals": {"aws:PrincipalArn": list(reader_arns)}},
        )
    ]


def key_policy(props: EncryptionProps, purpose: KeyPurpose) -> str:
    """The key policy: administrators manage, the purpose's services use, nobody else gets anything."""
    account_root = f"arn:aws:iam::{props.account_id}:root"
    statements = [
        *key_administration(props.account_id, props.key_admin_role_arns, props.break_glass_role_arn),
        *key_reader_statements(props.account_id, props.key_reader_role_arns),
    ]
    if purpose.via_services:
        statements.append(
            Statement(
                sid="UseThroughServicesInThisAccount",
                actions=(*KEY_USE_ACTIONS, "kms:CreateGrant"),
                principals={"AWS": account_root},
                conditions={
                    "StringEquals": {"kms:CallerAccount": props.account_id},
                    "StringLike": {
                        "kms:ViaService": [f"{svc}.{props.region}.amazonaws.com" for svc in purpose.via_services]
                    },
                },
            )
        )
    if purpose.cloudwatch_logs:
        statements.append(logs_service_statement(props.account_id, props.region))
    return policy_json(statements)


class Encryption(Construct):
    """One rotating customer-managed key per purpose, each with an alias ``alias/<prefix>-<purpose>``.

    Exposes ``keys`` (purpose -> ``KmsKey``) and ``key_arn(purpose)``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: EncryptionProps) -> None:
        super().__init__(scope, construct_id)
        self.keys: dict[str, KmsKey] = {}
        for purpose in props.purposes:
            key = KmsKey(
                self,
                f"{purpose.name}-key",
                description=f"{props.name_prefix}: {purpose.description}",
                enable_key_rotation=True,
                rotation_period_in_days=365,
                deletion_window_in_days=props.deletion_window_days,
                policy=key_policy(props, purpose),
                tags={"purpose": purpose.name},
            )
            KmsAlias(
                self,
                f"{purpose.name}-alias",
                name=f"alias/{props.name_prefix}-{purpose.name}",
                target_key_id=key.key_id,
            )
            self.keys[purpose.name] = key

    def key_arn(self, purpose: str) -> str:
        """ARN of the key for ``purpose``; a clear error names the purposes that exist."""
        if purpose not in self.keys:
            raise KeyError(f"no key for purpose {purpose!r}; known: {', '.join(sorted(self.keys))}")
        return self.keys[purpose].arn
