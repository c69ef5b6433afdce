"""The promotion pipeline (delivery account) and its smoke-test access in each environment."""

from modules.delivery.alerts import PipelineAlerts
from modules.delivery.construct import DeliveryPipeline
from modules.delivery.props import (
    SMOKE_TEST_JOB,
    DeliveryProps,
    PipelineAlertsProps,
    PromotionTarget,
    SmokeTestAccessProps,
    StepRoles,
)
from modules.delivery.target import SmokeTestAccess

__all__ = [
    "SMOKE_TEST_JOB",
    "DeliveryPipeline",
    "DeliveryProps",
    "PipelineAlerts",
    "PipelineAlertsProps",
    "PromotionTarget",
    "SmokeTestAccess",
    "SmokeTestAccessProps",
    "StepRoles",
]
