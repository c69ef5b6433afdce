"""The clickstream stream: Firehose staging events hourly in the raw zone, and who may put records."""

from modules.streaming.construct import ClickstreamStream
from modules.streaming.props import ERROR_PREFIX, RAW_PREFIX, STAGING_PREFIX, ClickstreamProps

__all__ = ["ERROR_PREFIX", "RAW_PREFIX", "STAGING_PREFIX", "ClickstreamProps", "ClickstreamStream"]
