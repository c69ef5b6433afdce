"""Conformance: raw strings become the contract's typed, snake_case columns.

Time zone policy: a timestamp delivered without a zone (for example the order export's
``1996-07-04 00:00:00.000``) is interpreted as UTC, and every curated timestamp is stored in UTC; a value with
a zone (``...Z`` or ``+01:00``) is converted to UTC. Curation refuses to run in a Spark session whose time
zone is not UTC, because Spark reads zone-less values in the session zone. Dates are calendar dates; a
derived date is the UTC date of its source timestamp (``event_date``) or the first day of its month
(``order_month``). Money is a decimal, never a
floating-point number.

Where the contract requires a timestamp to carry its zone (``timezone: true``), a zone-less value does not
convert. Parsing never raises: a value that does not convert becomes null here, and the quality rules report it
as a ``type`` failure with its raw value.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from etl.contracts import ContractField, DataContract, Derivation
from etl.contracts.formats import format_shape
from etl.curate.columns import raw_column

TIMESTAMP_POLICY = "timestamps without a zone are interpreted as UTC; curated timestamps are UTC"
REQUIRED_SESSION_TIME_ZONE = "UTC"
# A zone designator at the end of an ISO-8601 timestamp: Z, or an offset such as +01:00, +0100 or +01.
ZONE_SUFFIX = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"


class SessionTimeZoneError(RuntimeError):
    """The Spark session does not run in UTC, so zone-less timestamps would be read in another zone."""


def require_utc_session(spark: SparkSession) -> None:
    """Raise unless the session time zone is UTC (the platform's Spark settings set it)."""
    zone = spark.conf.get("spark.sql.session.timeZone")
    if zone != REQUIRED_SESSION_TIME_ZONE:
        raise SessionTimeZoneError(
            f"the Spark session time zone is {zone!r}; curation needs spark.sql.session.timeZone=UTC "
            "(etl.spark.build_local_session and the Glue job arguments set it)"
        )


def typed_value(field: ContractField) -> Column:
    """The field's raw string converted to its curated type, or null when it does not convert."""
    name = raw_column(field.name)
    converted = F.expr(f"try_cast(`{name}` AS {field.spark_type})")
    if field.raw_format:
        # Spark's cast accepts several shapes; the contract's format pins the one the source promises.
        converted = F.when(F.col(name).rlike(format_shape(field.raw_format)), converted)
    if field.requires_zone:
        converted = F.when(F.col(name).rlike(ZONE_SUFFIX), converted)
    return converted


def conform(frame: DataFrame, contract: DataContract) -> DataFrame:
    """Add one typed column per contract field (named as the field) beside the raw columns."""
    typed = {f.name: typed_value(f) for f in contract.source_fields}
    for field in contract.fields:
        if field.derived_from is not None:
            day = F.to_date(typed[field.derived_from])
            typed[field.name] = F.trunc(day, "month") if field.derivation is Derivation.MONTH_START else day
    return frame.select("*", *(typed[f.name].alias(f.name) for f in contract.fields))
