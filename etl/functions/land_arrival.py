"""Lambda entry point: land one pushed delivery when S3 reports it through EventBridge (``Object Created``): an
SFTP arrival in the transfer bucket, or a clickstream object the delivery stream staged in the lake.

Environment: ``TRANSFER_BUCKET`` (where partners upload), ``LAKE_BUCKET``, ``LAKE_KMS_KEY_ID`` (both buckets
encrypt with the lake key), ``STAGING_PREFIX`` (where the stream stages objects in the lake) and
``METRICS_NAMESPACE``. The function runs one invocation at a time (reserved
concurrency 1), because a dataset's manifest is read, extended and written back. Every result is one JSON log
line; counts by outcome and partner go to CloudWatch as embedded metrics, so the rejected-arrivals alarm needs
no ``PutMetricData`` call. Only this module knows about Lambda.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import unquote_plus

from etl.ingest.arrivals import ArrivalResult, land_arrival, land_staged
from etl.lake import LakeStore, S3LakeStore

SETTINGS = ("TRANSFER_BUCKET", "LAKE_BUCKET", "LAKE_KMS_KEY_ID", "STAGING_PREFIX", "METRICS_NAMESPACE")


class ArrivalEventError(ValueError):
    """The event is not an S3 Object Created event of the transfer or lake bucket; the message says what is
    wrong."""


@dataclass(frozen=True)
class FunctionSettings:
    """The function's environment, read once per container."""

    transfer_bucket: str
    lake_bucket: str
    lake_kms_key_id: str
    staging_prefix: str
    metrics_namespace: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> FunctionSettings:
        missing = [name for name in SETTINGS if not environ.get(name)]
        if missing:
            raise ArrivalEventError(f"function environment lacks {', '.join(missing)}; set them on the function")
        return cls(*(environ[name] for name in SETTINGS))


def arrival_of(event: Mapping[str, object], *buckets: str) -> tuple[str, str, date]:
    """(bucket, object key, arrival day in UTC) of an EventBridge ``Object Created`` event in one of
    ``buckets``."""
    try:
        detail = event["detail"]
        bucket, key, when = detail["bucket"]["name"], detail["object"]["key"], event["time"]
    except (KeyError, TypeError):
        raise ArrivalEventError("not an S3 Object Created event: detail.bucket.name/object.key/time missing") from None
    if bucket not in buckets:
        known = " or ".join(repr(name) for name in buckets)
        raise ArrivalEventError(f"event for bucket {bucket!r}; this function lands objects of {known}")
    return bucket, key, datetime.fromisoformat(str(when).replace("Z", "+00:00")).date()


def object_key(store: LakeStore, reported: str) -> str:
    """The key as stored: S3 reports keys URL-encoded (a space as ``+``); a key already plain is kept."""
    decoded = unquote_plus(reported)
    return decoded if decoded == reported or store.exists(decoded) else reported


def embedded_metrics(result: ArrivalResult, namespace: str) -> dict[str, object]:
    """A CloudWatch embedded-metric-format record counting the result by outcome and partner."""
    return {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [["Outcome"], ["Outcome", "Partner"]],
                    "Metrics": [{"Name": "Arrivals", "Unit": "Count"}],
                }
            ],
        },
        "Outcome": result.outcome.value,
        "Partner": result.partner or "none",
        "Arrivals": 1,
        **result.as_log(),
    }


def main(
    event: Mapping[str, object], settings: FunctionSettings, incoming: LakeStore, lake: LakeStore
) -> ArrivalResult:
    """Land the event's object (an SFTP arrival or a staged clickstream object) and emit its result with its
    metrics."""
    bucket, reported, day = arrival_of(event, settings.transfer_bucket, settings.lake_bucket)
    if bucket == settings.transfer_bucket:
        result = land_arrival(incoming, lake, object_key(incoming, reported), day)
    else:
        result = land_staged(lake, object_key(lake, reported), day, settings.staging_prefix)
    print(json.dumps(embedded_metrics(result, settings.metrics_namespace), sort_keys=True))
    return result


def handler(event: dict, context: object) -> dict[str, object]:
    """The Lambda handler: S3 stores over the transfer and lake buckets, then ``main``."""
    import boto3

    settings = FunctionSettings.from_environment(os.environ)
    client = boto3.client("s3")
    incoming = S3LakeStore(settings.transfer_bucket, settings.lake_kms_key_id, client)
    lake = S3LakeStore(settings.lake_bucket, settings.lake_kms_key_id, client)
    return main(event, settings, incoming, lake).as_log()
