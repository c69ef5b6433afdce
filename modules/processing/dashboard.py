"""The pipeline SLA dashboard: the share of datasets within their SLA, the pipeline run success rate, each
dataset's freshness, and the state of the pipeline alarms."""

from __future__ import annotations

import json

WIDTH = 12
HEIGHT = 6
SLA_TARGET_PERCENT = 95  # the brief: 95% of source datasets delivered to curated within SLA
DAY = 86400


def _metric_widget(
    title: str, region: str, metrics: list, stat: str, period: int, annotation: dict | None = None
) -> dict:
    properties: dict = {
        "title": title,
        "region": region,
        "view": "timeSeries",
        "stat": stat,
        "period": period,
        "metrics": metrics,
    }
    if annotation:
        properties["annotations"] = {"horizontal": [annotation]}
    return {"type": "metric", "width": WIDTH, "height": HEIGHT, "properties": properties}


def _success_rate(state_machine_arns: dict[str, str]) -> list:
    metrics: list = []
    for index, arn in enumerate(state_machine_arns.values()):
        for prefix, metric in (("s", "ExecutionsSucceeded"), ("f", "ExecutionsFailed"), ("t", "ExecutionsTimedOut")):
            metrics.append(["AWS/States", metric, "StateMachineArn", arn, {"id": f"{prefix}{index}", "visible": False}])
    total = 'SUM(FILL(METRICS("s"), 0)) + SUM(FILL(METRICS("f"), 0)) + SUM(FILL(METRICS("t"), 0))'
    expression = f'100 * SUM(FILL(METRICS("s"), 0)) / ({total})'
    return [[{"expression": expression, "label": "runs succeeded (%)", "id": "rate"}], *metrics]


def dashboard_body(
    region: str, namespace: str, datasets: list[str], state_machine_arns: dict[str, str], alarm_arns: list[str]
) -> str:
    """The dashboard JSON (two widgets a row)."""
    target = {"label": f"target {SLA_TARGET_PERCENT}%", "value": SLA_TARGET_PERCENT}
    widgets = [
        _metric_widget(
            "Datasets within their freshness SLA (%)",
            region,
            [[namespace, "DatasetsWithinSlaPercent", {"label": "within SLA"}]],
            "Minimum",
            3600,
            target,
        ),
        _metric_widget("Pipeline run success rate (%, per day)", region, _success_rate(state_machine_arns), "Sum", DAY),
        _metric_widget(
            "Freshness per dataset (hours since the newest curated data landed)",
            region,
            [[namespace, "FreshnessHours", "Dataset", dataset] for dataset in datasets],
            "Maximum",
            3600,
        ),
        {
            "type": "alarm",
            "width": WIDTH,
            "height": HEIGHT,
            "properties": {"title": "Missed runs and freshness alarms", "alarms": alarm_arns},
        },
    ]
    for index, widget in enumerate(widgets):
        widget["x"], widget["y"] = (index % 2) * WIDTH, (index // 2) * HEIGHT
    return json.dumps({"widgets": widgets})
