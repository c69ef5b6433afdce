"""Props of the clickstream stream: where Firehose stages events, who may put them, when it alerts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from etl.ingest.clickstream import DATASET, STAGING_PREFIX

_ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/[A-Za-z0-9_+=,.@/-]+$")
# Firehose stages each object by arrival hour (UTC) inside the dataset's raw prefix, outside its partitions; the
# landing function then lands it into raw/clickstream_events/date=YYYY-MM-DD/hour=HH/ with its manifest entry,
# like every other delivery, and removes the staged copy (etl.ingest.arrivals.land_staged).
RAW_PREFIX = f"{STAGING_PREFIX}date=!{{timestamp:yyyy-MM-dd}}/hour=!{{timestamp:HH}}/"
# Records Firehose could not deliver, by Firehose's reason (its error-output-type), under the dataset's
# quarantine, so the dataset's quarantine retention applies to them too.
ERROR_PREFIX = (
    f"quarantine/{DATASET}/delivery_errors/!{{firehose:error-output-type}}/"
    "date=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/"
)


@dataclass(frozen=True)
class ClickstreamProps:
    """Inputs of ``ClickstreamStream``.

    Attributes:
        name_prefix: ``northwind-<env>``; the stream is ``<prefix>-clickstream``.
        account_id: the environment's account (trust and confused-deputy conditions).
        region: the environment's region.
        lake_bucket_arn: the lake bucket Firehose writes to.
        lake_kms_key_arn: the lake key: the stream's own encryption at rest and the objects it writes.
        logs_kms_key_arn: encrypts the stream's delivery-error log group.
        log_retention_days: retention of that log group.
        producer_role_arns: the roles (of the web shop) that may assume the producer role.
        alert_topic_arn: where the delivery alarm and error-object alerts go.
        buffer_interval_seconds: Firehose writes an object at least this often. Default: 900.
        buffer_size_mib: or when this much has accumulated. Default: 128.
        runbook_url: the runbook the alerts link to. Default: ``docs/runbooks/clickstream-delivery.md``.
    """

    name_prefix: str
    account_id: str
    region: str
    lake_bucket_arn: str
    lake_kms_key_arn: str
    logs_kms_key_arn: str
    log_retention_days: int
    producer_role_arns: tuple[str, ...]
    alert_topic_arn: str
    buffer_interval_seconds: int = 900
    buffer_size_mib: int = 128
    runbook_url: str = "docs/runbooks/clickstream-delivery.md"

    def __post_init__(self) -> None:
        if not self.producer_role_arns or not all(_ROLE_ARN.match(arn) for arn in self.producer_role_arns):
            raise ValueError("ClickstreamProps.producer_role_arns: give at least one IAM role ARN")
        if not 60 <= self.buffer_interval_seconds <= 900 or not 1 <= self.buffer_size_mib <= 128:
            raise ValueError("ClickstreamProps: Firehose buffers 60-900 seconds and 1-128 MiB")

    @property
    def stream_name(self) -> str:
        """The delivery stream's name."""
        return f"{self.name_prefix}-clickstream"

    @property
    def stream_arn(self) -> str:
        """The stream's ARN, known before it exists (trust conditions name it)."""
        return f"arn:aws:firehose:{self.region}:{self.account_id}:deliverystream/{self.stream_name}"

    @property
    def producer_accounts(self) -> tuple[str, ...]:
        """The accounts of the producer roles, in order."""
        return tuple(dict.fromkeys(_ROLE_ARN.match(arn).group(1) for arn in self.producer_role_arns))

    @property
    def freshness_threshold_seconds(self) -> int:
        """Oldest undelivered record older than two buffer intervals and five minutes: delivery is stuck."""
        return 2 * self.buffer_interval_seconds + 300
