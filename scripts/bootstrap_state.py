"""Create (or verify) an account's Terraform state bucket and lock table, once per account (an environment's
or the delivery account's).

    python -m scripts.bootstrap_state ENV|delivery [--dry-run]

Run with administrator credentials of the account before its first plan (after
``scripts.bootstrap_account``). Idempotent: existing resources are looked up by name (never by a paged listing,
so a busy account cannot hide them), checked and brought to the required settings, never replaced.

- the state key: customer-managed, rotating (rotation re-checked on every run), with an explicit key policy;
- the state bucket: versioned, SSE-KMS with that key, fully private, TLS-only, refusing unencrypted or
  wrong-key writes and any reader but the plan and deploy roles and break glass, and logging its access to a
  log bucket;
- the lock table: KMS-encrypted with the state key, point-in-time recovery and deletion protection.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Annotated

import typer
from botocore.exceptions import ClientError

from environments import AccountDefinition, EnvironmentDefinitionError, load_account
from scripts.account_policies import state_reader_arns

app = typer.Typer(add_completion=False, help=__doc__)
# How long the state bucket's access logs are kept.
ACCESS_LOG_EXPIRY_DAYS = 365
# Key administration without the use of the key; the same set as the stacks' keys (modules/encryption).
STATE_KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
OUTCOMES = ("present", "updated", "created")
STATE_KEY_USE_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")


@dataclass
class BootstrapReport:
    """What the bootstrap did: each step is 'created', 'updated' or 'present'."""

    steps: dict[str, str] = field(default_factory=dict)

    def echo(self) -> None:
        """Print one line per step."""
        for step, outcome in self.steps.items():
            typer.echo(f"{step}: {outcome}")

    def note(self, step: str, outcome: str) -> None:
        """Record ``outcome`` of a step, keeping the strongest of what it did (created > updated > present)."""
        if OUTCOMES.index(outcome) >= OUTCOMES.index(self.steps.get(step, "present")):
            self.steps[step] = outcome


def state_key_policy(env: AccountDefinition) -> str:
    """The state key's policy: the account's IAM administrators administer it (never use it), and principals of
    the account use it only through S3 (the state object) and DynamoDB (the lock table), as their own IAM
    policies allow; the state bucket's policy then narrows who may read the state at all."""
    account = env.account_id
    region = env.state.region
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "KeyAdministrationByTheAccountsAdministrators",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": list(STATE_KEY_ADMIN_ACTIONS),
                    "Resource": "*",
                },
                {
                    "Sid": "UseThroughS3AndDynamoDbInThisAccount",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": [*STATE_KEY_USE_ACTIONS, "kms:CreateGrant"],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:CallerAccount": account,
                            "kms:ViaService": [f"s3.{region}.amazonaws.com", f"dynamodb.{region}.amazonaws.com"],
                        }
                    },
                },
            ],
        }
    )


def _deny_insecure_transport(bucket: str) -> dict:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def state_bucket_policy(env: AccountDefinition, key_arn: str) -> str:
    """TLS only; writes only SSE-KMS with the state key (the backend names it by its alias); objects read and
    written only by the state's roles (``scripts.account_policies.state_reader_arns``)."""
    bucket = env.state.bucket
    objects = f"arn:aws:s3:::{bucket}/*"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                _deny_insecure_transport(bucket),
                {
                    "Sid": "DenyWritesNotEncryptedWithKms",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:PutObject",
                    "Resource": objects,
                    "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
                },
                {
                    "Sid": "DenyWritesWithAnotherKey",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:PutObject",
                    "Resource": objects,
                    "Condition": {
                        "StringNotEquals": {
                            "s3:x-amz-server-side-encryption-aws-kms-key-id": [key_arn, env.state_kms_key_arn]
                        }
                    },
                },
                {
                    "Sid": "DenyObjectAccessToAllButTheStateRoles",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "s3:DeleteObject",
                        "s3:DeleteObjectVersion",
                        "s3:GetObject",
                        "s3:GetObjectVersion",
                        "s3:PutObject",
                    ],
                    "Resource": objects,
                    "Condition": {"ArnNotEquals": {"aws:PrincipalArn": state_reader_arns(env)}},
                },
            ],
        }
    )


def access_log_bucket_name(env: AccountDefinition) -> str:
    """The state bucket's access-log bucket, ``<state bucket>-access-logs``."""
    return f"{env.state.bucket}-access-logs"


def access_log_bucket_policy(env: AccountDefinition) -> str:
    """TLS only; S3 server access logging of the state bucket, for this account, is the only writer."""
    logs = access_log_bucket_name(env)
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                _deny_insecure_transport(logs),
                {
                    "Sid": "AllowServerAccessLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{logs}/s3/{env.state.bucket}/*",
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{env.state.bucket}"},
                        "StringEquals": {"aws:SourceAccount": env.account_id},
                    },
                },
            ],
        }
    )


def _error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _state_key(kms, env: AccountDefinition, report: BootstrapReport) -> str:
    """The key behind the state alias, created once; its policy and rotation re-applied on every run."""
    alias = env.state.kms_key_alias
    policy = state_key_policy(env)
    try:
        metadata = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except ClientError as error:
        if _error_code(error) != "NotFoundException":
            raise
        metadata = kms.create_key(Description="Terraform state of the Northwind platform", Policy=policy)["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=metadata["KeyId"])
        report.note("kms key", "created")
    else:
        report.note("kms key", "present")
        current = json.loads(kms.get_key_policy(KeyId=metadata["KeyId"], PolicyName="default")["Policy"])
        if current != json.loads(policy):
            kms.put_key_policy(KeyId=metadata["KeyId"], PolicyName="default", Policy=policy)
            report.note("kms key", "updated")
    if not kms.get_key_rotation_status(KeyId=metadata["KeyId"])["KeyRotationEnabled"]:
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
        report.note("kms key", "updated")
    return metadata["Arn"]


def _bucket_exists(s3, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if _error_code(error) in ("404", "NoSuchBucket", "NotFound"):
            return False
        if _error_code(error) in ("403", "AccessDenied", "Forbidden"):
            raise EnvironmentDefinitionError(
                f"bucket {bucket} exists in another account (names are global); choose another state.bucket"
            ) from None
        raise
    return True


def _private_versioned_bucket(s3, bucket: str, region: str, step: str, report: BootstrapReport) -> None:
    if _bucket_exists(s3, bucket):
        report.note(step, "present")
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        report.note(step, "created")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )


def _encryption(algorithm: str, key_arn: str | None = None) -> dict:
    default: dict[str, str] = {"SSEAlgorithm": algorithm}
    if key_arn:
        default["KMSMasterKeyID"] = key_arn
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": key_arn is not None}]}


def _access_log_bucket(s3, env: AccountDefinition, report: BootstrapReport) -> str:
    """SSE-S3 (the only encryption S3 server access logging delivers to), expiring logs after a year."""
    logs = access_log_bucket_name(env)
    _private_versioned_bucket(s3, logs, env.state.region, "access-log bucket", report)
    s3.put_bucket_encryption(Bucket=logs, ServerSideEncryptionConfiguration=_encryption("AES256"))
    s3.put_bucket_lifecycle_configuration(
        Bucket=logs,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-access-logs",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": ACCESS_LOG_EXPIRY_DAYS},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                }
            ]
        },
    )
    s3.put_bucket_policy(Bucket=logs, Policy=access_log_bucket_policy(env))
    return logs


def _state_bucket(s3, env: AccountDefinition, key_arn: str, log_bucket: str, report: BootstrapReport) -> None:
    bucket = env.state.bucket
    _private_versioned_bucket(s3, bucket, env.state.region, "state bucket", report)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_encryption("aws:kms", key_arn))
    s3.put_bucket_policy(Bucket=bucket, Policy=state_bucket_policy(env, key_arn))
    # After the log bucket's policy: S3 checks at PutBucketLogging that the target admits the logging service.
    s3.put_bucket_logging(
        Bucket=bucket,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": log_bucket, "TargetPrefix": f"s3/{bucket}/"}},
    )


def _lock_table(dynamodb, env: AccountDefinition, key_arn: str, report: BootstrapReport) -> None:
    table = env.state.lock_table
    try:
        description = dynamodb.describe_table(TableName=table)["Table"]
    except ClientError as error:
        if _error_code(error) != "ResourceNotFoundException":
            raise
        dynamodb.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn},
            DeletionProtectionEnabled=True,
        )
        dynamodb.get_waiter("table_exists").wait(TableName=table)
        report.note("lock table", "created")
    else:
        report.note("lock table", "present")
        if not description.get("DeletionProtectionEnabled"):
            dynamodb.update_table(TableName=table, DeletionProtectionEnabled=True)
            report.note("lock table", "updated")
    dynamodb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )


def require_account(session, env: AccountDefinition) -> None:
    """Refuse credentials of any other account than ``env``'s, naming both."""
    account = session.client("sts").get_caller_identity()["Account"]
    if account != env.account_id:
        raise EnvironmentDefinitionError(
            f"credentials are for account {account}, but {env.name} lives in {env.account_id}; "
            "use that account's administrator credentials"
        )


def bootstrap(env: AccountDefinition, session) -> BootstrapReport:
    """Create or verify the state key, bucket (with its access-log bucket) and lock table of ``env``."""
    require_account(session, env)
    report = BootstrapReport()
    region = env.state.region
    key_arn = _state_key(session.client("kms", region_name=region), env, report)
    s3 = session.client("s3", region_name=region)
    log_bucket = _access_log_bucket(s3, env, report)
    _state_bucket(s3, env, key_arn, log_bucket, report)
    _lock_table(session.client("dynamodb", region_name=region), env, key_arn, report)
    return report


@app.command()
def main(
    env_name: Annotated[str, typer.Argument(metavar="ENV", help="Environment to bootstrap, or delivery.")],
    dry_run: Annotated[bool, typer.Option(help="Only say what would be created.")] = False,
) -> None:
    try:
        env = load_account(env_name)
    except EnvironmentDefinitionError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if dry_run:
        typer.echo(
            f"would ensure in account {env.account_id} ({env.state.region}): key {env.state.kms_key_alias}, "
            f"bucket {env.state.bucket} (access logs to {access_log_bucket_name(env)}), "
            f"lock table {env.state.lock_table}"
        )
        return
    import boto3

    try:
        report = bootstrap(env, boto3.Session())
    except EnvironmentDefinitionError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    report.echo()
    typer.echo(f"state backend of {env.name} is ready: s3://{env.state.bucket}, lock table {env.state.lock_table}")


if __name__ == "__main__":
    sys.exit(app())
