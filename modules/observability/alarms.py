"""The platform's metric alarms as data: what each watches, how it compares, and its threshold."""

from __future__ import annotations

from dataclasses import dataclass

from modules.observability.props import GIB, AlarmThresholds, MonitoredResources
from modules.runbooks import runbook_section

PERIOD_SECONDS = 300
DATABASE_RUNBOOK = "serving-database.md"
SERVICE_RUNBOOK = "analytics-api.md"


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch metric alarm.

    ``missing_data`` says how a period without data counts: request counts are absent when nothing failed
    ("notBreaching"); in-service capacity that stops reporting is itself a problem ("breaching"). ``runbook`` is
    the section a responder follows (``docs/runbooks/<file>#<anchor>``).
    """

    key: str
    description: str
    runbook: str
    namespace: str
    metric: str
    dimensions: dict[str, str]
    statistic: str
    comparison: str
    threshold: float
    missing_data: str = "missing"


def alarm_specs(thresholds: AlarmThresholds, watched: MonitoredResources) -> tuple[AlarmSpec, ...]:
    """Every metric alarm of an environment, thresholds from its definition."""
    database = {"DBInstanceIdentifier": watched.database_identifier}
    load_balancer = {"LoadBalancer": watched.load_balancer_arn_suffix}
    return (
        AlarmSpec(
            "rds-cpu",
            f"Serving database CPU above {thresholds.rds_cpu_percent}%",
            runbook_section(DATABASE_RUNBOOK, "database-cpu-high"),
            "AWS/RDS",
            "CPUUtilization",
            database,
            "Average",
            "GreaterThanThreshold",
            thresholds.rds_cpu_percent,
        ),
        AlarmSpec(
            "rds-free-storage",
            f"Serving database free storage below {thresholds.rds_free_storage_gib} GiB",
            runbook_section(DATABASE_RUNBOOK, "database-free-storage-low"),
            "AWS/RDS",
            "FreeStorageSpace",
            database,
            "Minimum",
            "LessThanThreshold",
            thresholds.rds_free_storage_gib * GIB,
        ),
        AlarmSpec(
            "rds-connections",
            f"Serving database connections above {thresholds.rds_max_connections}",
            runbook_section(DATABASE_RUNBOOK, "database-connections-high"),
            "AWS/RDS",
            "DatabaseConnections",
            database,
            "Maximum",
            "GreaterThanThreshold",
            thresholds.rds_max_connections,
        ),
        AlarmSpec(
            "alb-5xx",
            f"Load balancer answered more than {thresholds.alb_5xx_per_5_minutes} 5xx in 5 minutes",
            runbook_section(SERVICE_RUNBOOK, "load-balancer-5xx"),
            "AWS/ApplicationELB",
            "HTTPCode_ELB_5XX_Count",
            load_balancer,
            "Sum",
            "GreaterThanThreshold",
            thresholds.alb_5xx_per_5_minutes,
            "notBreaching",
        ),
        AlarmSpec(
            "alb-target-5xx",
            f"The service answered more than {thresholds.alb_5xx_per_5_minutes} 5xx in 5 minutes",
            runbook_section(SERVICE_RUNBOOK, "service-5xx"),
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            load_balancer,
            "Sum",
            "GreaterThanThreshold",
            thresholds.alb_5xx_per_5_minutes,
            "notBreaching",
        ),
        AlarmSpec(
            "alb-unhealthy-targets",
            f"{thresholds.alb_unhealthy_targets} or more targets fail the health check",
            runbook_section(SERVICE_RUNBOOK, "unhealthy-targets"),
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            {**load_balancer, "TargetGroup": watched.target_group_arn_suffix},
            "Maximum",
            "GreaterThanOrEqualToThreshold",
            thresholds.alb_unhealthy_targets,
        ),
        AlarmSpec(
            "asg-in-service",
            f"Fewer than {watched.autoscaling_min_size} instances in service",
            runbook_section(SERVICE_RUNBOOK, "fewer-instances-in-service-than-the-minimum"),
            "AWS/AutoScaling",
            "GroupInServiceInstances",
            {"AutoScalingGroupName": watched.autoscaling_group_name},
            "Minimum",
            "LessThanThreshold",
            watched.autoscaling_min_size,
            "breaching",
        ),
    )
