"""Observability: alert topic, log groups, Glue failure alerts, metric alarms and the dashboard."""

from modules.observability.alarms import AlarmSpec, alarm_specs
from modules.observability.construct import GLUE_FAILURE_STATES, Observability
from modules.observability.log_groups import encrypted_log_group
from modules.observability.props import AlarmThresholds, AlertSubscriber, MonitoredResources, ObservabilityProps

__all__ = [
    "GLUE_FAILURE_STATES",
    "AlarmSpec",
    "AlarmThresholds",
    "AlertSubscriber",
    "MonitoredResources",
    "Observability",
    "ObservabilityProps",
    "alarm_specs",
    "encrypted_log_group",
]
