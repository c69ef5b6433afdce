"""Ad-hoc SQL over the lake: an Athena workgroup with enforced, encrypted results and a scan limit."""

from modules.query.construct import AdHocQueries
from modules.query.props import AdHocQueryProps

__all__ = ["AdHocQueries", "AdHocQueryProps"]
