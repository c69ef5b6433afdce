"""Props of the landing function: what it lands from, where to, with which code, and where it alerts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# The Python the etl package is built and tested for (Glue 5.0 runs 3.11 too).
RUNTIME = "python3.11"
HANDLER = "etl.functions.land_arrival.handler"
METRICS_NAMESPACE = "Northwind/Ingestion"
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class FunctionCode:
    """The function's deployment package and where it is uploaded in the artifacts bucket.

    Attributes:
        package: the built zip (``modules.arrivals.bundle.built_function_bundle``).
        package_hash: its content hash; the key carries it, so a code change is a new key.
        bucket_name: the artifacts bucket.
        kms_key_arn: the key the artifacts bucket requires for uploads (the lake key).
    """

    package: Path
    package_hash: str
    bucket_name: str
    kms_key_arn: str

    @property
    def key(self) -> str:
        """``functions/<hash>/<package name>``."""
        return f"functions/{self.package_hash}/{self.package.name}"


@dataclass(frozen=True)
class ArrivalsProps:
    """Inputs of ``ArrivalLanding``.

    Attributes:
        name_prefix: ``northwind-<env>``; the function is ``<prefix>-land-arrivals``.
        account_id: the environment's account.
        region: the environment's region.
        code: ``FunctionCode``.
        transfer_bucket_name: where partners upload (``incoming/``) and rejected files are kept (``rejected/``).
        transfer_bucket_arn: its ARN.
        lake_bucket_name: the lake bucket: raw landings and the staged clickstream.
        lake_bucket_arn: its ARN.
        staging_prefix: where Firehose stages clickstream objects for the function to land.
        lake_kms_key_arn: encrypts both buckets.
        function_kms_key_arn: encrypts the function's environment and its dead-letter queue.
        logs_kms_key_arn: encrypts the function's log group.
        log_retention_days: retention of that log group.
        subnet_ids: the private subnets the function runs in.
        vpc_id: their VPC.
        s3_prefix_list_id: S3's gateway prefix list: the only destination the function can reach.
        alert_topic_arn: where its alarms go.
        memory_mib: memory of the function (its CPU scales with it). Default: 1024.
        timeout_seconds: longest one landing may take. Default: 300.
        runbook_url: the runbook the alarms link to. Default: ``docs/runbooks/sftp-arrivals.md``.
    """

    name_prefix: str
    account_id: str
    region: str
    code: FunctionCode
    transfer_bucket_name: str
    transfer_bucket_arn: str
    lake_bucket_name: str
    lake_bucket_arn: str
    staging_prefix: str
    lake_kms_key_arn: str
    function_kms_key_arn: str
    logs_kms_key_arn: str
    log_retention_days: int
    subnet_ids: tuple[str, ...]
    vpc_id: str
    s3_prefix_list_id: str
    alert_topic_arn: str
    memory_mib: int = 1024
    timeout_seconds: int = 300
    runbook_url: str = "docs/runbooks/sftp-arrivals.md"

    def __post_init__(self) -> None:
        if not _FUNCTION_NAME.match(self.function_name):
            raise ValueError(f"ArrivalsProps: Lambda refuses the function name {self.function_name!r}")
        if not self.subnet_ids:
            raise ValueError("ArrivalsProps.subnet_ids: the function runs in at least one private subnet")
        if not 128 <= self.memory_mib <= 10240 or not 1 <= self.timeout_seconds <= 900:
            raise ValueError("ArrivalsProps: Lambda allows 128-10240 MiB and 1-900 seconds")
        if not self.staging_prefix.startswith("raw/") or not self.staging_prefix.endswith("/"):
            raise ValueError("ArrivalsProps.staging_prefix: a raw/ prefix ending with a slash")

    @property
    def function_name(self) -> str:
        """The function's name (Lambda allows 64 characters)."""
        return f"{self.name_prefix}-land-arrivals"

    @property
    def function_arn(self) -> str:
        """The function's ARN, known before it exists (its role's trust names it)."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"
