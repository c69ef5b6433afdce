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
# What Step Functions (for a state machine) and EventBridge Scheduler (for a schedule's payload) ask KMS for.
DATA_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# The encryption context each service sets: the state machine's ARN, the schedule's ARN, and for a state
# machine's execution logs the log delivery's source (Step Functions' documented form).
STATE_MACHINE_CONTEXT = "kms:EncryptionContext:aws:states:stateMachineArn"
SCHEDULE_CONTEXT = "kms:EncryptionContext:aws:scheduler:schedule:arn"
LOG_DELIVERY_CONTEXT = "kms:EncryptionContext:SourceArn"


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


def _context_confined_use(sid: str, account_id: str, actions: tuple[str, ...], context: str, arn: str) -> Statement:
    """Principals of the account whose IAM policies allow it may use the key, only under ``context`` = ``arn``."""
    return Statement(
        sid=sid,
        actions=actions,
        principals={"AWS": f"arn:aws:iam::{account_id}:root"},
        conditions={"StringEquals": {"kms:CallerAccount": account_id}, "ArnLike": {context: arn}},
    )


def state_machine_statements(props: EncryptionProps) -> list[Statement]:
    """Step Functions with a customer-managed key, as AWS documents it: the execution role (as itself, so no
    ``kms:ViaService``: AWS warns it stops executions) and callers through Step Functions (starting executions,
    reading their history, creating the machine) use the key under the state machine's ARN; the execution role
    also makes data keys for its execution logs, which CloudWatch Logs' delivery service decrypts before writing
    them to the (logs-key) log group. Decrypting needs the context the data key was made under, so the delivery
    service's condition holds it to this account's log deliveries."""
    regional = f"{props.region}:{props.account_id}"
    deliveries = f"arn:aws:logs:{regional}:*"
    return [
        _context_confined_use(
            "UseForThisEnvironmentsStateMachines",
            props.account_id,
            DATA_KEY_ACTIONS,
            STATE_MACHINE_CONTEXT,
            f"arn:aws:states:{regional}:stateMachine:{props.name_prefix}-*",
        ),
        _context_confined_use(
            "ExecutionLogDataKeysForThisAccountsLogDeliveries",
            props.account_id,
            ("kms:GenerateDataKey",),
            LOG_DELIVERY_CONTEXT,
            deliveries,
        ),
        Statement(
            sid="LogDeliveryDecryptsThisAccountsExecutionLogs",
            actions=("kms:Decrypt",),
            principals={"Service": "delivery.logs.amazonaws.com"},
            conditions={"ArnLike": {LOG_DELIVERY_CONTEXT: deliveries}},
        ),
    ]


def schedule_statements(props: EncryptionProps) -> list[Statement]:
    """EventBridge Scheduler with a customer-managed key, as AWS documents it: whoever creates a schedule makes
    and reads its payload's data key through Scheduler, the schedule's execution role decrypts it; both under
    the schedule's ARN (any schedule group, this environment's names)."""
    return [
        _context_confined_use(
            "UseForThisEnvironmentsSchedules",
            props.account_id,
            DATA_KEY_ACTIONS,
            SCHEDULE_CONTEXT,
            f"arn:aws:scheduler:{props.region}:{props.account_id}:schedule/*/{props.name_prefix}-*",
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
    if purpose.state_machines:
        statements += state_machine_statements(props)
    if purpose.schedules:
        statements += schedule_statements(props)
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
