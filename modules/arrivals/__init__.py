"""The landing function: lands SFTP arrivals and staged clickstream objects as S3 reports them."""

from modules.arrivals.construct import ArrivalLanding
from modules.arrivals.props import ArrivalsProps, FunctionCode

__all__ = ["ArrivalLanding", "ArrivalsProps", "FunctionCode"]
