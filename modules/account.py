"""What every stack sets first: its remote state in its account's state bucket, and a provider confined to that
account with the mandatory tags (docs/adr/0004-remote-state-per-environment.md)."""

from __future__ import annotations

from cdktf import S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from environments.model import AccountDefinition
from modules.naming import PROJECT


def mandatory_tags(definition: AccountDefinition) -> dict[str, str]:
    """Tags every resource carries through the provider's default tags."""
    return {
        "project": PROJECT,
        "environment": definition.name,
        "owner": definition.tags.owner,
        "cost-center": definition.tags.cost_center,
        "managed-by": "cdktf",
    }


def use_account(stack: TerraformStack, definition: AccountDefinition) -> None:
    """The S3 backend (the stack's own state object, KMS-encrypted, DynamoDB-locked) and the AWS provider.

    The provider names no role: the step running Terraform chooses it (docs/adr/0091-apply-the-approved-saved-plan.md),
    and ``allowed_account_ids`` refuses credentials of any other account before anything is read or changed.
    """
    S3Backend(
        stack,
        bucket=definition.state.bucket,
        key=definition.state_object_key,
        region=definition.state.region,
        encrypt=True,
        kms_key_id=definition.state_kms_key_arn,
        dynamodb_table=definition.state.lock_table,
    )
    AwsProvider(
        stack,
        "aws",
        region=definition.region,
        allowed_account_ids=[definition.account_id],
        default_tags=[AwsProviderDefaultTags(tags=mandatory_tags(definition))],
    )
