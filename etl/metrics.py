"""The pipeline's CloudWatch metrics: what every curation run publishes for the SLA alarms and the dashboard.

Per dataset (dimension ``Dataset``): ``RowsLanded``, ``RowsCurated``, ``RowsQuarantined`` and ``Balanced``
(1 or 0) for each dataset a run curated, and ``FreshnessHours`` and ``WithinSla`` (1 or 0) for every dataset
with a contract; without dimensions, ``DatasetsWithinSlaPercent``. The namespace is the one the jobs' role may
write (``cloudwatch:namespace`` condition).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from etl.curate.report import DatasetRunReport
from etl.sla import Freshness, share_within_sla

DEFAULT_NAMESPACE = "Northwind/Pipeline"
# PutMetricData takes up to 1,000 metrics a call; smaller batches keep each request small.
BATCH = 150


def _datum(name: str, value: float, unit: str, at: datetime, dataset: str | None = None) -> dict:
    datum: dict = {"MetricName": name, "Value": float(value), "Unit": unit, "Timestamp": at}
    if dataset is not None:
        datum["Dimensions"] = [{"Name": "Dataset", "Value": dataset}]
    return datum


def metric_data(reports: Iterable[DatasetRunReport], measured: list[Freshness], at: datetime) -> list[dict]:
    """The datapoints one curation run publishes."""
    data = []
    for report in reports:
        data += [
            _datum("RowsLanded", report.rows_landed, "Count", at, report.dataset),
            _datum("RowsCurated", report.rows_curated, "Count", at, report.dataset),
            _datum("RowsQuarantined", report.rows_quarantined, "Count", at, report.dataset),
            _datum("Balanced", int(report.balanced), "None", at, report.dataset),
        ]
    for freshness in measured:
        if freshness.hours is not None:
            data.append(_datum("FreshnessHours", freshness.hours, "None", at, freshness.dataset))
        data.append(_datum("WithinSla", int(freshness.within_sla), "None", at, freshness.dataset))
    data.append(_datum("DatasetsWithinSlaPercent", share_within_sla(measured), "Percent", at))
    return data


def publish(client: object, namespace: str, data: list[dict]) -> int:
    """Send ``data`` to CloudWatch under ``namespace`` in batches; returns how many datapoints were sent."""
    for start in range(0, len(data), BATCH):
        client.put_metric_data(Namespace=namespace, MetricData=data[start : start + BATCH])
    return len(data)
