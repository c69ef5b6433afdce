"""The clickstream stream: a Firehose Direct PUT delivery stream staging events hourly in the raw zone
(docs/adr/0067-clickstream-through-firehose-direct-put.md)."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudwatch_log_metric_filter import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_stream import CloudwatchLogStream
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kinesis_firehose_delivery_stream import (
    KinesisFirehoseDeliveryStream,
    KinesisFirehoseDeliveryStreamExtendedS3Configuration,
    KinesisFirehoseDeliveryStreamExtendedS3ConfigurationCloudwatchLoggingOptions,
    KinesisFirehoseDeliveryStreamServerSideEncryption,
)
from constructs import Construct

from modules.naming import resource_name
from modules.observability.log_groups import encrypted_log_group
from modules.policy import Statement, assume_role_policy, policy_json
from modules.streaming.props import ERROR_PREFIX, RAW_PREFIX, STAGING_PREFIX, ClickstreamProps

DELIVERY_LOG_STREAM = "S3Delivery"
PRODUCER_ACTIONS = ("firehose:PutRecord", "firehose:PutRecordBatch")
METRICS_NAMESPACE = "Northwind/Clickstream"
PERIOD_SECONDS = 300


class ClickstreamStream(Construct):
    """A Direct PUT delivery stream encrypted at rest with the lake key, staging GZIP JSON-lines objects in
    ``raw/clickstream_events/_staging/date=YYYY-MM-DD/hour=HH/`` (arrival time, UTC) of the lake bucket with
    SSE-KMS for the landing function to land, records it cannot deliver to the dataset's quarantine by
    Firehose's error type, and delivery errors to a KMS-encrypted log group. The producer role is the only
    principal that may put records; the web shop's roles named in the environment assume it. Two alarms go to
    the alert topic: delivery late, delivery errors.

    Exposes ``stream``, ``delivery_role``, ``producer_role``, ``log_group`` and ``alarms`` (key -> alarm).
    """

    def __init__(self, scope: Construct, construct_id: str, props: ClickstreamProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.log_group = encrypted_log_group(
            self,
            "log-group",
            name=f"/aws/kinesisfirehose/{props.stream_name}",
            retention_days=props.log_retention_days,
            kms_key_arn=props.logs_kms_key_arn,
        )
        CloudwatchLogStream(self, "delivery-log-stream", name=DELIVERY_LOG_STREAM, log_group_name=self.log_group.name)
        self.delivery_role = self._delivery_role()
        self.stream = KinesisFirehoseDeliveryStream(
            self,
            "stream",
            name=props.stream_name,
            destination="extended_s3",
            server_side_encryption=KinesisFirehoseDeliveryStreamServerSideEncryption(
                enabled=True, key_type="CUSTOMER_MANAGED_CMK", key_arn=props.lake_kms_key_arn
            ),
            extended_s3_configuration=KinesisFirehoseDeliveryStreamExtendedS3Configuration(
                role_arn=self.delivery_role.arn,
                bucket_arn=props.lake_bucket_arn,
                prefix=RAW_PREFIX,
                error_output_prefix=ERROR_PREFIX,
                custom_time_zone="UTC",
                buffering_interval=props.buffer_interval_seconds,
                buffering_size=props.buffer_size_mib,
                compression_format="GZIP",
                file_extension=".jsonl.gz",
                kms_key_arn=props.lake_kms_key_arn,
                cloudwatch_logging_options=KinesisFirehoseDeliveryStreamExtendedS3ConfigurationCloudwatchLoggingOptions(
                    enabled=True, log_group_name=self.log_group.name, log_stream_name=DELIVERY_LOG_STREAM
                ),
            ),
        )
        self.producer_role = self._producer_role()
        self.alarms = self._alarms()

    def _delivery_role(self) -> IamRole:
        """Firehose's role: write the dataset's raw and quarantine prefixes and log its delivery errors."""
        props = self.props
        role = IamRole(
            self,
            "delivery-role",
            name=resource_name(props.name_prefix, "clickstream-delivery", max_length=64),
            description="Northwind clickstream Firehose: stages events in the lake's raw zone",
            assume_role_policy=assume_role_policy(
                "firehose.amazonaws.com", source_account=props.account_id, source_arn=props.stream_arn
            ),
            max_session_duration=3600,
        )
        lake = props.lake_bucket_arn
        written = (f"{lake}/{STAGING_PREFIX}*", f"{lake}/{ERROR_PREFIX.split('!')[0]}*")
        statements = [
            Statement(
                sid="ListLake",
                actions=("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"),
                resources=(lake,),
            ),
            Statement(
                sid="WriteClickstreamObjects",
                actions=("s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"),
                resources=written,
            ),
            Statement(
                sid="EncryptObjectsThroughS3",
                actions=("kms:Decrypt", "kms:GenerateDataKey"),
                resources=(props.lake_kms_key_arn,),
                conditions={"StringEquals": {"kms:ViaService": f"s3.{props.region}.amazonaws.com"}},
            ),
            Statement(
                sid="LogDeliveryErrors",
                actions=("logs:PutLogEvents",),
                resources=(f"{self.log_group.arn}:log-stream:{DELIVERY_LOG_STREAM}",),
            ),
        ]
        IamRolePolicy(self, "delivery-policy", role=role.id, name="stage-clickstream", policy=policy_json(statements))
        return role

    def _producer_role(self) -> IamRole:
        """The one principal that may put records, assumed by the web shop's roles.

        The trust names the producers' accounts and narrows to their roles with ``aws:PrincipalArn``: IAM
        refuses a trust policy naming a role that does not exist yet, and the web shop's roles may come later.
        """
        props = self.props
        role = IamRole(
            self,
            "producer-role",
            name=resource_name(props.name_prefix, "clickstream-producer", max_length=64),
            description="Northwind web shop: puts clickstream events into the delivery stream",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {
                                "AWS": [f"arn:aws:iam::{account}:root" for account in props.producer_accounts]
                            },
                            "Action": "sts:AssumeRole",
                            "Condition": {"ArnEquals": {"aws:PrincipalArn": list(props.producer_role_arns)}},
                        }
                    ],
                }
            ),
            max_session_duration=3600,
        )
        IamRolePolicy(
            self,
            "producer-policy",
            role=role.id,
            name="put-clickstream-records",
            policy=policy_json([Statement(sid="PutRecords", actions=PRODUCER_ACTIONS, resources=(self.stream.arn,))]),
        )
        return role

    def _alarms(self) -> dict[str, CloudwatchMetricAlarm]:
        props = self.props
        CloudwatchLogMetricFilter(
            self,
            "delivery-error-filter",
            name=f"{props.stream_name}-delivery-errors",
            log_group_name=self.log_group.name,
            # Firehose writes a line to this group for every delivery it could not make.
            pattern="",
            metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                name="DeliveryErrors",
                namespace=METRICS_NAMESPACE,
                value="1",
                default_value="0",
            ),
        )
        common = {
            "period": PERIOD_SECONDS,
            "actions_enabled": True,
            "alarm_actions": [props.alert_topic_arn],
            "ok_actions": [props.alert_topic_arn],
            "treat_missing_data": "notBreaching",
        }
        return {
            "clickstream-delivery-late": CloudwatchMetricAlarm(
                self,
                "alarm-delivery-late",
                alarm_name=f"{props.name_prefix}-clickstream-delivery-late",
                alarm_description=(
                    f"Clickstream events older than {props.freshness_threshold_seconds} s are still undelivered. "
                    f"Runbook: {props.runbook_url}#delivery-is-late"
                ),
                namespace="AWS/Firehose",
                metric_name="DeliveryToS3.DataFreshness",
                dimensions={"DeliveryStreamName": props.stream_name},
                statistic="Maximum",
                evaluation_periods=3,
                comparison_operator="GreaterThanThreshold",
                threshold=props.freshness_threshold_seconds,
                **common,
            ),
            "clickstream-delivery-errors": CloudwatchMetricAlarm(
                self,
                "alarm-delivery-errors",
                alarm_name=f"{props.name_prefix}-clickstream-delivery-errors",
                alarm_description=(
                    "Firehose could not deliver clickstream records; undeliverable ones are in the dataset's "
                    f"quarantine under delivery_errors/. Runbook: {props.runbook_url}#delivery-errors"
                ),
                namespace=METRICS_NAMESPACE,
                metric_name="DeliveryErrors",
                statistic="Sum",
                evaluation_periods=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                threshold=1,
                **common,
            ),
        }
