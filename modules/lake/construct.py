"""The data lake: one zoned lake bucket, the artifacts bucket, the access-log bucket, and a replica in prod."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import (
    S3BucketReplicationConfigurationA,
    S3BucketReplicationConfigurationRule,
    S3BucketReplicationConfigurationRuleDeleteMarkerReplication,
    S3BucketReplicationConfigurationRuleDestination,
    S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration,
    S3BucketReplicationConfigurationRuleFilter,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteria,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects,
)
from constructs import Construct

from modules.classification import OPERATIONAL, Classification
from modules.encryption import DEFAULT_PURPOSES, EncryptionProps
from modules.encryption.construct import key_policy
from modules.lake.bucket import LifecycleRule, SecureBucket, SecureBucketProps
from modules.lake.props import QUERY_RESULTS_PREFIX, DataLakeProps, LakeReplication, check_bucket_name
from modules.naming import artifacts_bucket_name, resource_name
from modules.policy import Statement, assume_role_policy, policy_json

LAKE_PURPOSE = next(purpose for purpose in DEFAULT_PURPOSES if purpose.name == "lake")
# Quarantined objects move to STANDARD_IA only when they stay long enough to repay IA's 30-day minimum charge.
QUARANTINE_IA_AFTER_DAYS = 30
QUARANTINE_IA_WORTHWHILE_FROM_EXPIRY_DAYS = 60


class DataLake(Construct):
    """The lake's buckets (docs/adr/0010-one-lake-bucket-with-zone-prefixes.md).

    - ``lake_bucket``: ``northwind-data-lake-<env>-<account>`` with the zones raw/, curated/, quarantine/ and
      reports/ as prefixes; raw moves to cheaper storage, quarantine expires; object events to EventBridge.
    - ``artifacts_bucket``: Glue job scripts and wheels, written by the delivery pipeline.
    - ``access_logs``: receives the server access logs of the others (SSE-S3, see ``SecureBucketProps``); other
      producers (the load balancer) are admitted with ``access_logs.grant_log_delivery``.
    - with ``props.replication``: ``replica_bucket`` and its own KMS key in the replica region, an access-log
      bucket there, and replication of the critical zones.

    Exposes ``lake_bucket_name``, ``lake_bucket_arn``, ``artifacts_bucket_name``, ``artifacts_bucket_arn``,
    ``access_logs_bucket_name``, ``replica_bucket_arn`` and ``replica_kms_key_arn`` (None without replication).
    """

    def __init__(self, scope: Construct, construct_id: str, props: DataLakeProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        retention = props.retention
        self.access_logs = self._log_bucket("access-logs", self._name("access-logs"), region=None)
        self.lake_bucket = self._bucket(
            "lake",
            props.lake_bucket_name,
            props.lake_classification,
            props.lake_kms_key_arn,
            self.access_logs,
            self._zone_rules(),
        )
        self.artifacts_bucket = self._bucket(
            "artifacts",
            check_bucket_name(artifacts_bucket_name(props.name_prefix, props.account_id)),
            OPERATIONAL,
            props.lake_kms_key_arn,
            self.access_logs,
            (),
        )
        self.lake_bucket_name: str = self.lake_bucket.bucket_name
        self.lake_bucket_arn: str = self.lake_bucket.bucket_arn
        self.artifacts_bucket_name: str = self.artifacts_bucket.bucket_name
        self.artifacts_bucket_arn: str = self.artifacts_bucket.bucket_arn
        self.access_logs_bucket_name: str = self.access_logs.bucket_name
        self.replica_bucket: SecureBucket | None = None
        self.replica_bucket_arn: str | None = None
        self.replica_kms_key_arn: str | None = None
        if props.replication is not None:
            self._replicate(props.replication, retention.raw_transition_to_glacier_days)

    def _name(self, component: str, region: str | None = None) -> str:
        suffix = f"-{region}" if region else ""
        return check_bucket_name(resource_name(self.props.name_prefix, f"{component}-{self.props.account_id}{suffix}"))

    def _zone_rules(self) -> tuple[LifecycleRule, ...]:
        retention = self.props.retention
        return (
            LifecycleRule(
                "raw-to-cheaper-storage",
                "raw/",
                transitions=(
                    (retention.raw_transition_to_ia_days, "STANDARD_IA"),
                    (retention.raw_transition_to_glacier_days, "GLACIER"),
                ),
            ),
            LifecycleRule(
                "query-results-expiry", QUERY_RESULTS_PREFIX, expiration_days=retention.query_results_expiry_days
            ),
            *self._expiry_rules(),
        )

    def _expiry_rules(self) -> tuple[LifecycleRule, ...]:
        """Each dataset's objects expire per zone as its contract (shortened by the environment) says."""
        return tuple(
            LifecycleRule(
                f"expire-{expiry.zone}-{expiry.dataset}",
                expiry.prefix,
                transitions=((QUARANTINE_IA_AFTER_DAYS, "STANDARD_IA"),)
                if expiry.zone == "quarantine" and expiry.days >= QUARANTINE_IA_WORTHWHILE_FROM_EXPIRY_DAYS
                else (),
                expiration_days=expiry.days,
            )
            for expiry in self.props.retention.dataset_expiries
        )

    def _log_bucket(self, construct_id: str, name: str, region: str | None) -> SecureBucket:
        expiry = LifecycleRule("log-expiry", "", expiration_days=self.props.retention.access_log_expiry_days)
        return self._bucket(construct_id, name, OPERATIONAL, None, None, (expiry,), region)

    def _bucket(
        self,
        construct_id: str,
        name: str,
        classification: Classification,
        kms_key_arn: str | None,
        access_logs: SecureBucket | None,
        lifecycle_rules: tuple[LifecycleRule, ...],
        region: str | None = None,
    ) -> SecureBucket:
        """A bucket with the lake's retention; without ``access_logs`` it is an access-log destination."""
        retention = self.props.retention
        return SecureBucket(
            self,
            construct_id,
            SecureBucketProps(
                bucket_name=name,
                account_id=self.props.account_id,
                classification=classification,
                kms_key_arn=kms_key_arn,
                noncurrent_version_expiry_days=retention.noncurrent_version_expiry_days,
                abort_incomplete_multipart_days=retention.abort_incomplete_multipart_days,
                access_log_bucket=access_logs,
                lifecycle_rules=lifecycle_rules,
                region=region,
                force_destroy=self.props.force_destroy,
                is_access_log_destination=access_logs is None,
            ),
        )

    def _replica_key(self, replication: LakeReplication) -> KmsKey:
        props = self.props
        key_props = EncryptionProps(
            name_prefix=props.name_prefix,
            account_id=props.account_id,
            region=replication.region,
            key_admin_role_arns=replication.key_admin_role_arns,
            break_glass_role_arn=replication.break_glass_role_arn,
            key_reader_role_arns=replication.key_reader_role_arns,
        )
        key = KmsKey(
            self,
            "replica-key",
            region=replication.region,
            description=f"{props.name_prefix}: replica of the lake's critical zones in {replication.region}",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=key_props.deletion_window_days,
            policy=key_policy(key_props, LAKE_PURPOSE),
            tags={"purpose": "lake-replica"},
        )
        KmsAlias(
            self,
            "replica-key-alias",
            region=replication.region,
            name=f"alias/{props.name_prefix}-lake-replica",
            target_key_id=key.key_id,
        )
        return key

    def _replicate(self, replication: LakeReplication, glacier_days: int) -> None:
        region = replication.region
        key = self._replica_key(replication)
        replica_logs = self._log_bucket("replica-access-logs", self._name("access-logs", region), region)
        replica = self._bucket(
            "replica",
            check_bucket_name(f"{self.props.lake_bucket_name}-{region}"),
            self.props.lake_classification,
            key.arn,
            replica_logs,
            # Replicas arrive as STANDARD_IA; raw copies go on to GLACIER like the originals. S3 does not
            # replicate lifecycle expirations, so the replica expires each dataset by the same rules.
            (
                LifecycleRule("raw-to-cheaper-storage", "raw/", transitions=((glacier_days, "GLACIER"),)),
                *self._expiry_rules(),
            ),
            region=region,
        )
        role, role_policy = self._replication_role(replication, replica.bucket_arn, key.arn)
        S3BucketReplicationConfigurationA(
            self,
            "replication",
            bucket=self.lake_bucket.bucket.id,
            role=role.arn,
            rule=[
                S3BucketReplicationConfigurationRule(
                    id=f"replicate-{zone}",
                    priority=index,
                    status="Enabled",
                    filter=S3BucketReplicationConfigurationRuleFilter(prefix=f"{zone}/"),
                    delete_marker_replication=S3BucketReplicationConfigurationRuleDeleteMarkerReplication(
                        status="Enabled"
                    ),
                    source_selection_criteria=S3BucketReplicationConfigurationRuleSourceSelectionCriteria(
                        sse_kms_encrypted_objects=S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects(
                            status="Enabled"
                        )
                    ),
                    destination=S3BucketReplicationConfigurationRuleDestination(
                        bucket=replica.bucket_arn,
                        storage_class="STANDARD_IA",
                        encryption_configuration=S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration(
                            replica_kms_key_id=key.arn
                        ),
                    ),
                )
                for index, zone in enumerate(replication.zones)
            ],
            # S3 checks versioning on both buckets at PutBucketReplication and replicates with the role at once.
            depends_on=[self.lake_bucket.versioning, replica.versioning, role_policy],
        )
        self.replica_bucket = replica
        self.replica_bucket_arn = replica.bucket_arn
        self.replica_kms_key_arn = key.arn

    def _replication_role(
        self, replication: LakeReplication, replica_arn: str, replica_key_arn: str
    ) -> tuple[IamRole, IamRolePolicy]:
        props = self.props
        source = self.lake_bucket.bucket_arn
        role = IamRole(
            self,
            "replication-role",
            name=resource_name(props.name_prefix, "lake-replication", max_length=64),
            assume_role_policy=assume_role_policy(
                "s3.amazonaws.com",
                source_account=props.account_id,
                source_arn=f"arn:aws:s3:::{props.lake_bucket_name}",
            ),
        )
        zone_objects = tuple(f"{source}/{zone}/*" for zone in replication.zones)
        statements = [
            Statement(
                sid="ReadReplicationConfiguration",
                actions=("s3:GetReplicationConfiguration", "s3:ListBucket"),
                resources=(source,),
            ),
            Statement(
                sid="ReadSourceVersions",
                actions=(
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionTagging",
                ),
                resources=zone_objects,
            ),
            Statement(
                sid="WriteReplicas",
                actions=("s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"),
                resources=tuple(f"{replica_arn}/{zone}/*" for zone in replication.zones),
            ),
            Statement(
                sid="DecryptSourceThroughS3",
                actions=("kms:Decrypt",),
                resources=(props.lake_kms_key_arn,),
                conditions={"StringEquals": {"kms:ViaService": f"s3.{props.region}.amazonaws.com"}},
            ),
            Statement(
                sid="EncryptReplicasThroughS3",
                actions=("kms:Encrypt", "kms:GenerateDataKey"),
                resources=(replica_key_arn,),
                conditions={"StringEquals": {"kms:ViaService": f"s3.{replication.region}.amazonaws.com"}},
            ),
        ]
        policy = IamRolePolicy(
            self, "replication-policy", role=role.id, name="replicate-critical-zones", policy=policy_json(statements)
        )
        return role, policy
