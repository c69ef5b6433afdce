"""Props of the observability construct: where alerts go and when they fire."""

from __future__ import annotations

import re
from dataclasses import dataclass

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
GIB = 1024**3


@dataclass(frozen=True)
class AlarmThresholds:
    """When an alarm fires; every alarm looks at 5-minute periods.

    Attributes:
        rds_cpu_percent: average database CPU above this.
        rds_free_storage_gib: free database storage below this.
        rds_max_connections: database connections above this.
        alb_5xx_per_5_minutes: 5xx responses (from the load balancer, or from the targets) above this.
        alb_unhealthy_targets: unhealthy targets at or above this.
        evaluation_periods: consecutive breaching periods before an alarm fires.
    """

    rds_cpu_percent: int
    rds_free_storage_gib: int
    rds_max_connections: int
    alb_5xx_per_5_minutes: int
    alb_unhealthy_targets: int
    evaluation_periods: int

    def __post_init__(self) -> None:
        if not 1 <= self.rds_cpu_percent <= 100:
            raise ValueError("AlarmThresholds.rds_cpu_percent must be 1-100")
        for name in (
            "rds_free_storage_gib",
            "rds_max_connections",
            "alb_5xx_per_5_minutes",
            "alb_unhealthy_targets",
            "evaluation_periods",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"AlarmThresholds.{name} must be at least 1")


@dataclass(frozen=True)
class AlertSubscriber:
    """One receiver of the alert topic.

    Attributes:
        protocol: the SNS protocol, ``email`` or ``https``.
        endpoint: the address or URL.
    """

    protocol: str
    endpoint: str

    def __post_init__(self) -> None:
        if self.protocol == "email" and not _EMAIL.match(self.endpoint):
            raise ValueError(f"AlertSubscriber.endpoint={self.endpoint!r} is not an e-mail address")
        if self.protocol == "https" and not self.endpoint.startswith("https://"):
            raise ValueError(f"AlertSubscriber.endpoint={self.endpoint!r} is not an https:// URL")
        if self.protocol not in ("email", "https"):
            raise ValueError(f"AlertSubscriber.protocol={self.protocol!r}: use email or https")


@dataclass(frozen=True)
class ObservabilityProps:
    """Inputs of ``Observability``.

    Attributes:
        name_prefix: ``northwind-<env>``; the topic is ``<name_prefix>-alerts``, alarms ``<name_prefix>-*``.
        account_id: the environment's account (scopes who may publish to the topic).
        region: the environment's region (dashboards and service principals).
        key_admin_role_arns: administrators of the alert topic's key.
        break_glass_role_arn: the break-glass administration path of that key (with MFA).
        logs_kms_key_arn: encrypts the service log group.
        log_retention_days: retention of the service log group.
        thresholds: ``AlarmThresholds``.
        subscribers: ``AlertSubscriber``s of the topic; at least one, so alerts and approvals reach someone.
        key_reader_role_arns: may read the alert key's metadata and policy (the read-only plan role).
            Default: none.
    """

    name_prefix: str
    account_id: str
    region: str
    key_admin_role_arns: tuple[str, ...]
    break_glass_role_arn: str
    logs_kms_key_arn: str
    log_retention_days: int
    thresholds: AlarmThresholds
    subscribers: tuple[AlertSubscriber, ...]
    key_reader_role_arns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.key_admin_role_arns:
            raise ValueError("ObservabilityProps.key_admin_role_arns: the alert key needs an administrator")
        if not self.subscribers:
            raise ValueError("ObservabilityProps.subscribers: the alert topic needs at least one subscriber")

    @property
    def topic_name(self) -> str:
        """The alert topic, ``<name_prefix>-alerts``."""
        return f"{self.name_prefix}-alerts"

    @property
    def topic_arn(self) -> str:
        """The alert topic's ARN, known before the topic exists (its key's policy names it)."""
        return f"arn:aws:sns:{self.region}:{self.account_id}:{self.topic_name}"

    @property
    def event_rule_name_pattern(self) -> str:
        """Every EventBridge rule of the environment is named ``<name_prefix>-...``; the topic admits only those."""
        return f"{self.name_prefix}-*"

    @property
    def alarm_name_pattern(self) -> str:
        """Every alarm of the environment is named ``<name_prefix>-...``; the topic admits only those."""
        return f"{self.name_prefix}-*"

    @property
    def service_log_group_name(self) -> str:
        """The analytics service's log group."""
        return f"/northwind/analytics/{self.name_prefix}"


@dataclass(frozen=True)
class MonitoredResources:
    """What the alarms and the dashboard watch.

    Attributes:
        database_identifier: the RDS instance identifier.
        load_balancer_arn_suffix: the load balancer's ``arn_suffix`` (CloudWatch's LoadBalancer dimension).
        target_group_arn_suffix: the target group's ``arn_suffix``.
        autoscaling_group_name: the Auto Scaling group.
        autoscaling_min_size: in-service instances below this raise an alarm.
    """

    database_identifier: str
    load_balancer_arn_suffix: str
    target_group_arn_suffix: str
    autoscaling_group_name: str
    autoscaling_min_size: int
