"""Props of the delivery pipeline construct."""

from __future__ import annotations

import re
from dataclasses import dataclass

REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class StateLocation:
    """Where the stack's Terraform state and lock live (the S3 backend's bucket, key and DynamoDB table).

    Attributes:
        bucket: the state bucket.
        key: the stack's state object key, ``<stack>/terraform.tfstate``.
        lock_table: the DynamoDB lock table.
        region: the region of the state bucket and lock table.
        account_id: the account holding the lock table.
        kms_key_alias: the alias of the customer-managed key the state object is encrypted with.
    """

    bucket: str
    key: str
    lock_table: str
    region: str
    account_id: str
    kms_key_alias: str

    @property
    def object_arn(self) -> str:
        """The state object; the pipeline reads and writes nothing else in the bucket."""
        return f"arn:aws:s3:::{self.bucket}/{self.key}"

    @property
    def lock_table_arn(self) -> str:
        """The lock table Terraform takes its state lock in."""
        return f"arn:aws:dynamodb:{self.region}:{self.account_id}:table/{self.lock_table}"

    @property
    def account_keys_arn(self) -> str:
        """The account's KMS keys in the state's region; grants narrow it to the state key by its alias."""
        return f"arn:aws:kms:{self.region}:{self.account_id}:key/*"


@dataclass(frozen=True)
class DeliveryProps:
    """Inputs of ``DeliveryPipeline``.

    Attributes:
        name_prefix: ``northwind-<env>``; pipeline, projects and log group are named from it.
        account_id: the environment's account (the pipeline role trusts CodePipeline only for its pipeline).
        region: the environment's region (KMS is used through S3 there).
        environment_name: the environment the pipeline promotes (the builds' ``ENV`` variable).
        stack_name: the Terraform stack the deploy build applies.
        repository: the GitHub repository, ``owner/name``.
        branch: the branch whose pushes start the pipeline.
        connection_name: the CodeStar (CodeConnections) connection to GitHub, at most 32 characters.
        build_role_arn: the delivery role both CodeBuild projects run as.
        artifacts_bucket_name: the bucket holding pipeline artifacts under ``pipeline/``.
        artifacts_bucket_arn: that bucket's ARN.
        kms_key_arn: the customer-managed key of the builds and the artifact store.
        logs_kms_key_arn: the key of the builds' log group.
        log_retention_days: how long build logs are kept.
        approval_topic_arn: the SNS topic the manual approval notifies.
        approval_topic_kms_key_arn: the key that topic is encrypted with (publishers use it through SNS).
        state: where the stack's Terraform state lives.
        build_timeout_minutes: how long a build may run before CodeBuild stops it. Default: 60.
        build_image: the standard Linux CodeBuild image. Default: ``aws/codebuild/standard:7.0``.
    """

    name_prefix: str
    account_id: str
    region: str
    environment_name: str
    stack_name: str
    repository: str
    branch: str
    connection_name: str
    build_role_arn: str
    artifacts_bucket_name: str
    artifacts_bucket_arn: str
    kms_key_arn: str
    logs_kms_key_arn: str
    log_retention_days: int
    approval_topic_arn: str
    approval_topic_kms_key_arn: str
    state: StateLocation
    build_timeout_minutes: int = 60
    build_image: str = "aws/codebuild/standard:7.0"

    def __post_init__(self) -> None:
        if not REPOSITORY.fullmatch(self.repository):
            raise ValueError(f"DeliveryProps.repository: {self.repository!r} is not 'owner/name'")
        if not 1 <= len(self.connection_name) <= 32:
            raise ValueError(f"DeliveryProps.connection_name: {self.connection_name!r} must be 1 to 32 characters")
        if not 5 <= self.build_timeout_minutes <= 2160:
            raise ValueError("DeliveryProps.build_timeout_minutes must be between 5 and 2160 (CodeBuild's limits)")
        if not self.build_image.startswith("aws/codebuild/standard:"):
            raise ValueError(f"DeliveryProps.build_image: {self.build_image!r} is not a standard Linux image")
