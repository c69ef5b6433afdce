"""The platform's metric alarms as data: what each watches, how it compares, and its threshold."""

from __future__ import annotations

from dataclasses import dataclass

from modules.observability.props import GIB, AlarmThresholds, MonitoredResources

PERIOD_SECONDS = 300


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch metric alarm.

    ``missing_data`` says how a period without data counts: request counts are absent when nothing failed
    ("notBreaching"); in-service capacity that stops reporting is itself a problem ("breaching").
    """

    key: str
    description: str
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
            "AWS/AutoScaling",
            "GroupInServiceInstances",
            {"AutoScalingGroupName": watched.autoscaling_group_name},
            "Minimum",
            "LessThanThreshold",
            watched.autoscaling_min_size,
            "breaching",
        ),
    )
