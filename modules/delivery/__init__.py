"""The promotion pipeline (delivery account) and its smoke-test access in each environment."""

from modules.delivery.construct import DeliveryPipeline
from modules.delivery.props import SMOKE_TEST_JOB, DeliveryProps, PromotionTarget, SmokeTestAccessProps, StepRoles
from modules.delivery.target import SmokeTestAccess

__all__ = [
    "SMOKE_TEST_JOB",
    "DeliveryPipeline",
    "DeliveryProps",
    "PromotionTarget",
    "SmokeTestAccess",
    "SmokeTestAccessProps",
    "StepRoles",
]
