"""Create (or verify) an environment's Terraform state bucket and lock table, once per account.

    python -m scripts.bootstrap_state ENV [--dry-run]

Run with administrator credentials of the environment's account before its first ``cdktf deploy``.
Idempotent: existing resources are checked and brought to the required settings, never replaced.
The bucket is versioned, KMS-encrypted with a dedicated key, fully private and TLS-only; the lock table is
KMS-encrypted with point-in-time recovery.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Annotated

import typer

from environments import EnvironmentConfig, EnvironmentDefinitionError, load_environment

app = typer.Typer(add_completion=False, help=__doc__)


@dataclass
class BootstrapReport:
    """What the bootstrap did: each step is 'created', 'updated' or 'present'."""

    steps: dict[str, str] = field(default_factory=dict)


def _tls_only_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def _state_key(kms, alias: str, report: BootstrapReport) -> str:
    aliases = kms.list_aliases()["Aliases"]
    existing = next((a for a in aliases if a["AliasName"] == alias), None)
    if existing:
        report.steps["kms key"] = "present"
        return kms.describe_key(KeyId=existing["TargetKeyId"])["KeyMetadata"]["Arn"]
    key = kms.create_key(Description="Terraform state of the Northwind platform")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    report.steps["kms key"] = "created"
    return key["Arn"]


def _state_bucket(s3, env: EnvironmentConfig, key_arn: str, report: BootstrapReport) -> None:
    bucket = env.state.bucket
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket in existing:
        report.steps["state bucket"] = "present"
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": env.state.region})
        report.steps["state bucket"] = "created"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=_tls_only_policy(bucket))


def _lock_table(dynamodb, env: EnvironmentConfig, key_arn: str, report: BootstrapReport) -> None:
    table = env.state.lock_table
    if table in dynamodb.list_tables()["TableNames"]:
        report.steps["lock table"] = "present"
    else:
        dynamodb.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn},
        )
        dynamodb.get_waiter("table_exists").wait(TableName=table)
        report.steps["lock table"] = "created"
    dynamodb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )


def bootstrap(env: EnvironmentConfig, session) -> BootstrapReport:
    """Create or verify the state bucket, lock table and their key in ``env``'s state region."""
    account = session.client("sts").get_caller_identity()["Account"]
    if account != env.account_id:
        raise EnvironmentDefinitionError(
            f"credentials are for account {account}, but {env.name} lives in {env.account_id}; "
            "use that account's administrator credentials"
        )
    report = BootstrapReport()
    region = env.state.region
    key_arn = _state_key(session.client("kms", region_name=region), env.state.kms_key_alias, report)
    _state_bucket(session.client("s3", region_name=region), env, key_arn, report)
    _lock_table(session.client("dynamodb", region_name=region), env, key_arn, report)
    return report


@app.command()
def main(
    env_name: Annotated[str, typer.Argument(metavar="ENV", help="Environment to bootstrap.")],
    dry_run: Annotated[bool, typer.Option(help="Only say what would be created.")] = False,
) -> None:
    try:
        env = load_environment(env_name)
    except EnvironmentDefinitionError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if dry_run:
        typer.echo(
            f"would ensure in account {env.account_id} ({env.state.region}): bucket {env.state.bucket}, "
            f"lock table {env.state.lock_table}, key {env.state.kms_key_alias}"
        )
        return
    import boto3

    try:
        report = bootstrap(env, boto3.Session())
    except EnvironmentDefinitionError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    for step, outcome in report.steps.items():
        typer.echo(f"{step}: {outcome}")
    typer.echo(f"state backend of {env.name} is ready: s3://{env.state.bucket}, lock table {env.state.lock_table}")


if __name__ == "__main__":
    sys.exit(app())
