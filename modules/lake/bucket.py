"""One S3 bucket with the platform's security settings imposed: the only way this project creates a bucket."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
    S3BucketLifecycleConfigurationRuleTransition,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import (
    S3BucketLoggingA,
    S3BucketLoggingTargetObjectKeyFormat,
    S3BucketLoggingTargetObjectKeyFormatPartitionedPrefix,
)
from cdktf_cdktf_provider_aws.s3_bucket_notification import S3BucketNotification
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from modules.classification import Classification
from modules.lake.props import check_bucket_name
from modules.policy import Statement, policy_json

# Bucket policy statement ids: tests and the bucket report look them up by these names.
DENY_INSECURE_TRANSPORT = "DenyInsecureTransport"
DENY_OUTDATED_TLS = "DenyTlsOlderThan1_2"
DENY_UNENCRYPTED_UPLOADS = "DenyUploadsNotEncryptedWithKms"
DENY_WRONG_KEY_UPLOADS = "DenyUploadsWithAnotherKey"
DENY_KEYLESS_KMS_UPLOADS = "DenyKmsUploadsThatNameNoKey"
ALLOW_ACCESS_LOG_DELIVERY = "AllowServerAccessLogDelivery"
ANYONE = {"AWS": "*"}


@dataclass(frozen=True)
class LifecycleRule:
    """Lifecycle of one key prefix: storage-class transitions ``(days, class)`` and an optional expiry."""

    rule_id: str
    prefix: str
    transitions: tuple[tuple[int, str], ...] = ()
    expiration_days: int | None = None


@dataclass(frozen=True)
class SecureBucketProps:
    """Inputs of ``SecureBucket``.

    Attributes:
        bucket_name: the globally unique bucket name.
        account_id: the account owning the bucket; log delivery into it is admitted only on that account's
            behalf (``aws:SourceAccount``).
        classification: the ``data-classification`` tag.
        kms_key_arn: the key of SSE-KMS default encryption; uploads with another key or without KMS are denied.
            None only for an access-log destination.
        noncurrent_version_expiry_days: how long overwritten or deleted versions are kept.
        abort_incomplete_multipart_days: when unfinished multipart uploads are removed.
        access_log_bucket: where this bucket's server access logs go. None only for an access-log destination.
        lifecycle_rules: per-prefix ``LifecycleRule``s, beside the imposed bucket-wide rule. Default: none.
        region: the bucket's region. Default: None (the provider's region).
        force_destroy: delete the objects with the bucket; the caller has checked both switches.
            Default: False.
        is_access_log_destination: the explicitly named exception for a bucket that receives logs: S3 server
            access logging and load-balancer logs deliver only to SSE-S3 buckets, and a log bucket does not log
            itself. Default: False.
    """

    bucket_name: str
    account_id: str
    classification: Classification
    kms_key_arn: str | None
    noncurrent_version_expiry_days: int
    abort_incomplete_multipart_days: int
    access_log_bucket: SecureBucket | None
    lifecycle_rules: tuple[LifecycleRule, ...] = ()
    region: str | None = None
    force_destroy: bool = False
    is_access_log_destination: bool = False

    def __post_init__(self) -> None:
        check_bucket_name(self.bucket_name)
        if self.is_access_log_destination:
            if self.kms_key_arn is not None or self.access_log_bucket is not None:
                raise ValueError(
                    f"SecureBucketProps({self.bucket_name}): an access-log destination takes no kms_key_arn and "
                    "no access_log_bucket (log delivery requires SSE-S3; a log bucket does not log itself)"
                )
        elif self.kms_key_arn is None or self.access_log_bucket is None:
            raise ValueError(
                f"SecureBucketProps({self.bucket_name}): a data bucket needs kms_key_arn and access_log_bucket"
            )


class SecureBucket(Construct):
    """A bucket with versioning, default encryption (SSE-KMS with a bucket key), all four public-access blocks,
    ACLs disabled (BucketOwnerEnforced), a TLS-only policy that also denies unencrypted and wrong-key uploads,
    server access logging, a lifecycle with noncurrent-version expiry and multipart clean-up, and object events
    sent to EventBridge.

    Exposes ``bucket`` (the ``S3Bucket``), ``bucket_name``, ``bucket_arn``, ``versioning``,
    ``delivery_ready`` (what a service writing into the bucket must be created after: AWS checks the bucket
    policy when logging is switched on) and ``grant_log_delivery`` (access-log destinations only).
    """

    def __init__(self, scope: Construct, construct_id: str, props: SecureBucketProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        located = {"region": props.region} if props.region else {}
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket=props.bucket_name,
            force_destroy=props.force_destroy,
            tags={"data-classification": props.classification.value},
            **located,
        )
        self.bucket_name: str = self.bucket.bucket
        self.bucket_arn: str = self.bucket.arn
        self.versioning = S3BucketVersioningA(
            self,
            "versioning",
            bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
            **located,
        )
        S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            **located,
        )
        ownership = S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
            **located,
        )
        self._encryption(located)
        self._statements = self._base_statements()
        self._policy = S3BucketPolicy(
            self, "policy", bucket=self.bucket.id, policy=policy_json(self._statements), **located
        )
        self.delivery_ready: tuple[S3BucketPolicy, S3BucketOwnershipControls] = (self._policy, ownership)
        if props.access_log_bucket is not None:
            props.access_log_bucket.grant_access_log_delivery(self.bucket_arn)
            # S3 checks at PutBucketLogging that the target's policy admits the logging service.
            S3BucketLoggingA(
                self,
                "logging",
                bucket=self.bucket.id,
                target_bucket=props.access_log_bucket.bucket_name,
                target_prefix=f"s3/{props.bucket_name}/",
                target_object_key_format=S3BucketLoggingTargetObjectKeyFormat(
                    partitioned_prefix=S3BucketLoggingTargetObjectKeyFormatPartitionedPrefix(
                        partition_date_source="EventTime"
                    )
                ),
                depends_on=list(props.access_log_bucket.delivery_ready),
                **located,
            )
        self._lifecycle(located)
        # Object events go to the default EventBridge bus; rules there pick what they need (raw landings start
        # curation), so no bucket ever needs a second notification configuration.
        S3BucketNotification(self, "notifications", bucket=self.bucket.id, eventbridge=True, **located)

    def _encryption(self, located: Mapping[str, str]) -> None:
        key = self.props.kms_key_arn
        default = (
            S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="aws:kms", kms_master_key_id=key
            )
            if key
            else S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="AES256"
            )
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=default, bucket_key_enabled=key is not None
                )
            ],
            **located,
        )

    def _base_statements(self) -> list[Statement]:
        denials = [
            (DENY_INSECURE_TRANSPORT, "s3:*", {"Bool": {"aws:SecureTransport": "false"}}),
            (DENY_OUTDATED_TLS, "s3:*", {"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
        ]
        key = self.props.kms_key_arn
        if key:
            # IfExists: an upload without encryption headers takes the bucket's default (this key) and passes.
            # An upload asking for aws:kms without naming a key would get S3's AWS-managed key (aws/s3), not the
            # bucket's default, so naming no key with aws:kms is denied too.
            denials += [
                (
                    DENY_UNENCRYPTED_UPLOADS,
                    "s3:PutObject",
                    {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
                ),
                (
                    DENY_WRONG_KEY_UPLOADS,
                    "s3:PutObject",
                    {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key}},
                ),
                (
                    DENY_KEYLESS_KMS_UPLOADS,
                    "s3:PutObject",
                    {
                        "StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                        "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "true"},
                    },
                ),
            ]
        return [
            Statement(
                sid=sid,
                effect="Deny",
                principals=ANYONE,
                actions=(action,),
                # Uploads are object requests; the transport rules cover the bucket's own API too.
                resources=(f"{self.bucket_arn}/*",)
                if action == "s3:PutObject"
                else (self.bucket_arn, f"{self.bucket_arn}/*"),
                conditions=conditions,
            )
            for sid, action, conditions in denials
        ]

    def _lifecycle(self, located: Mapping[str, str]) -> None:
        props = self.props
        rules = [
            S3BucketLifecycleConfigurationRule(
                id="expire-old-versions-and-uploads",
                status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                        noncurrent_days=props.noncurrent_version_expiry_days
                    )
                ],
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                        days_after_initiation=props.abort_incomplete_multipart_days
                    )
                ],
            )
        ]
        for rule in props.lifecycle_rules:
            rules.append(
                S3BucketLifecycleConfigurationRule(
                    id=rule.rule_id,
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix=rule.prefix)],
                    transition=[
                        S3BucketLifecycleConfigurationRuleTransition(days=days, storage_class=storage_class)
                        for days, storage_class in rule.transitions
                    ]
                    or None,
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=rule.expiration_days)]
                    if rule.expiration_days
                    else None,
                )
            )
        # Lifecycle rules on a versioned bucket need versioning in place first.
        S3BucketLifecycleConfiguration(
            self, "lifecycle", bucket=self.bucket.id, rule=rules, depends_on=[self.versioning], **located
        )

    def grant_access_log_delivery(self, source_bucket_arn: str) -> None:
        """Let S3 server access logging of ``source_bucket_arn`` (same account) write into this bucket."""
        self._require_log_destination()
        existing = next((s for s in self._statements if s.sid == ALLOW_ACCESS_LOG_DELIVERY), None)
        sources = (
            (*existing.conditions["ArnLike"]["aws:SourceArn"], source_bucket_arn) if existing else (source_bucket_arn,)
        )
        statement = Statement(
            sid=ALLOW_ACCESS_LOG_DELIVERY,
            principals={"Service": "logging.s3.amazonaws.com"},
            actions=("s3:PutObject",),
            resources=(f"{self.bucket_arn}/s3/*",),
            conditions={
                "ArnLike": {"aws:SourceArn": list(sources)},
                "StringEquals": {"aws:SourceAccount": self.props.account_id},
            },
        )
        self._replace_statement(statement)

    def grant_log_delivery(
        self,
        sid: str,
        principals: Mapping[str, object],
        key_prefix: str,
        conditions: Mapping[str, Mapping[str, object]] | None = None,
    ) -> None:
        """Let another log producer (e.g. the load balancer) write objects under ``key_prefix`` here.

        ``principals`` as in a bucket policy, e.g. ``{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}``;
        a service principal is admitted only on behalf of this bucket's account (``aws:SourceAccount``), with
        ``conditions`` added (e.g. ``aws:SourceArn``).
        """
        self._require_log_destination()
        if not key_prefix or key_prefix.startswith("s3/"):
            raise ValueError(f"grant_log_delivery: key_prefix {key_prefix!r} must be non-empty and not under s3/")
        self._replace_statement(
            Statement(
                sid=sid,
                principals=principals,
                actions=("s3:PutObject",),
                resources=(f"{self.bucket_arn}/{key_prefix.rstrip('/')}/*",),
                conditions=_on_behalf_of(self.props.account_id, principals, conditions or {}),
            )
        )

    def grant_service_delivery(self, statement: Statement) -> None:
        """Let an AWS service deliver into this bucket (CloudTrail, AWS Config). ``statement`` must name a
        service principal and confine it to this account's resources (``aws:SourceArn`` or
        ``aws:SourceAccount``), the confused-deputy guard AWS documents for both."""
        keys = {key for values in statement.conditions.values() for key in values}
        if "Service" not in (statement.principals or {}) or not keys & {"aws:SourceArn", "aws:SourceAccount"}:
            raise ValueError(f"grant_service_delivery({statement.sid}): name a service and its source account or ARN")
        self._replace_statement(statement)

    def _require_log_destination(self) -> None:
        if not self.props.is_access_log_destination:
            raise ValueError(f"bucket {self.props.bucket_name} is not an access-log destination")

    def _replace_statement(self, statement: Statement) -> None:
        self._statements = [s for s in self._statements if s.sid != statement.sid] + [statement]
        self._policy.policy = policy_json(self._statements)


def _on_behalf_of(
    account_id: str, principals: Mapping[str, object], conditions: Mapping[str, Mapping[str, object]]
) -> dict[str, dict[str, object]]:
    """``conditions`` plus, for a service principal, ``aws:SourceAccount``: a service writes only for this account."""
    merged = {operator: dict(values) for operator, values in conditions.items()}
    if "Service" in principals:
        merged.setdefault("StringEquals", {})["aws:SourceAccount"] = account_id
    return merged
