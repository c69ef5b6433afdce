"""The environment's CloudWatch dashboard: Glue jobs, the database with Performance Insights, the load
balancer and the Auto Scaling group, one row each."""

from __future__ import annotations

import json

from modules.observability.props import MonitoredResources

WIDTH = 8
HEIGHT = 6
# Glue job metrics carry JobName/JobRunId/Type dimensions; a search finds every job of the account without
# this stack having to know job names (the account holds one environment).
GLUE_SEARCH = "SEARCH('{{Glue,JobName,JobRunId,Type}} MetricName=\"{metric}\" JobRunId=\"ALL\"', '{stat}', 300)"


def _metric_widget(title: str, region: str, metrics: list[list], stat: str = "Average") -> dict:
    return {
        "type": "metric",
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": title,
            "region": region,
            "stat": stat,
            "period": 300,
            "view": "timeSeries",
            "metrics": metrics,
        },
    }


def _glue_widget(title: str, region: str, metric: str, stat: str) -> dict:
    expression = GLUE_SEARCH.format(metric=metric, stat=stat)
    return _metric_widget(title, region, [[{"expression": expression, "label": metric, "id": "e1"}]], stat)


def dashboard_body(region: str, watched: MonitoredResources, alarm_arns: list[str]) -> str:
    """The dashboard JSON (widgets in rows of three)."""
    database = ["DBInstanceIdentifier", watched.database_identifier]
    load_balancer = ["LoadBalancer", watched.load_balancer_arn_suffix]
    group = ["AutoScalingGroupName", watched.autoscaling_group_name]
    widgets = [
        _glue_widget("Glue: failed tasks", region, "glue.driver.aggregate.numFailedTasks", "Sum"),
        _glue_widget("Glue: completed tasks", region, "glue.driver.aggregate.numCompletedTasks", "Sum"),
        _glue_widget("Glue: elapsed time (ms)", region, "glue.driver.aggregate.elapsedTime", "Maximum"),
        _metric_widget(
            "Database: load (Performance Insights)",
            region,
            [["AWS/RDS", "DBLoad", *database], [".", "DBLoadCPU", ".", "."], [".", "DBLoadNonCPU", ".", "."]],
        ),
        _metric_widget(
            "Database: CPU and connections",
            region,
            [["AWS/RDS", "CPUUtilization", *database], [".", "DatabaseConnections", ".", ".", {"yAxis": "right"}]],
        ),
        _metric_widget(
            "Database: free storage and latency",
            region,
            [
                ["AWS/RDS", "FreeStorageSpace", *database],
                [".", "ReadLatency", ".", ".", {"yAxis": "right"}],
                [".", "WriteLatency", ".", ".", {"yAxis": "right"}],
            ],
        ),
        _metric_widget(
            "Load balancer: requests and 5xx",
            region,
            [
                ["AWS/ApplicationELB", "RequestCount", *load_balancer],
                [".", "HTTPCode_ELB_5XX_Count", ".", "."],
                [".", "HTTPCode_Target_5XX_Count", ".", "."],
            ],
            stat="Sum",
        ),
        _metric_widget(
            "Load balancer: response time (p95) and targets",
            region,
            [
                ["AWS/ApplicationELB", "TargetResponseTime", *load_balancer, {"stat": "p95"}],
                [
                    ".",
                    "HealthyHostCount",
                    "TargetGroup",
                    watched.target_group_arn_suffix,
                    *load_balancer,
                    {"yAxis": "right", "stat": "Minimum"},
                ],
                [".", "UnHealthyHostCount", ".", ".", ".", ".", {"yAxis": "right", "stat": "Maximum"}],
            ],
        ),
        _metric_widget(
            "Auto Scaling: capacity and CPU",
            region,
            [
                ["AWS/AutoScaling", "GroupInServiceInstances", *group],
                [".", "GroupDesiredCapacity", ".", "."],
                ["AWS/EC2", "CPUUtilization", *group, {"yAxis": "right"}],
            ],
        ),
        {
            "type": "alarm",
            "width": WIDTH * 3,
            "height": HEIGHT // 2,
            "properties": {"title": "Alarms", "alarms": alarm_arns},
        },
    ]
    for index, widget in enumerate(widgets):
        widget["x"], widget["y"] = (index % 3) * WIDTH, (index // 3) * HEIGHT
    return json.dumps({"widgets": widgets})
