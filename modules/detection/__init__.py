"""Detective controls: CloudTrail, AWS Config, Security Hub, GuardDuty, IAM Access Analyzer, findings routing."""

from modules.detection.construct import DetectiveControls
from modules.detection.props import ControlScope, DetectionProps
from modules.detection.rules import CONFIG_RULES, RUNBOOK, finding_routes

__all__ = ["CONFIG_RULES", "RUNBOOK", "ControlScope", "DetectionProps", "DetectiveControls", "finding_routes"]
