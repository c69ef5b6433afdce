"""The delivery pipeline: CodePipeline promoting an environment's stack through a reviewed ``cdktf diff``."""

from modules.delivery.construct import DeliveryPipeline, build_role_statements
from modules.delivery.props import DeliveryProps, StateLocation

__all__ = ["DeliveryPipeline", "DeliveryProps", "StateLocation", "build_role_statements"]
