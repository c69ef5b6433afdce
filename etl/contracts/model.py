"""The typed view of a data contract that the pipeline reads; the YAML files stay the single source."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Classification(StrEnum):
    """Dataset and field classifications, used as the ``data-classification`` tag of every data store."""

    INTERNAL = "internal"
    LICENSED = "licensed"
    RESTRICTED = "restricted"
    CONFIDENTIAL_PII = "confidential-pii"


class RawFormat(StrEnum):
    """How a dataset's files arrive in the raw zone."""

    CSV = "csv"
    JSON_PAGES = "json_pages"
    JSON_LINES_GZIP = "json_lines_gzip"
    VALUATION_DOCUMENTS = "valuation_documents"


class SourceEncoding(StrEnum):
    """Character encodings a source may declare. All are ASCII-compatible, so the delimiters, quotes and line
    ends that give a CSV or JSON-lines file its records read the same whichever of them a file really uses."""

    UTF_8 = "utf-8"
    ISO_8859_1 = "iso-8859-1"
    WINDOWS_1252 = "windows-1252"


class Derivation(StrEnum):
    """How a derived date column is computed from its source date or timestamp (always in UTC)."""

    UTC_DATE = "utc_date"
    MONTH_START = "month_start"


class LogicalType(StrEnum):
    """The ODCS logical types a contract field may use here."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class ContractField:
    """One column: how it is named and typed in the curated zone, and the rules every row must meet.

    ``source_name`` is the column's name in the raw files (ODCS ``physicalName``); ``spark_type`` is the curated
    Spark SQL type. ``derived_from`` names the timestamp or date field a derived date column is computed from
    (it is not read from raw) and ``derivation`` says how. ``raw_format`` is the exact shape a date or
    timestamp must have in raw, in DateTimeFormatter letters; without it any ISO-8601 form is accepted.
    """

    name: str
    source_name: str
    logical_type: LogicalType
    spark_type: str
    required: bool
    unique: bool
    primary_key: bool
    classification: Classification
    is_pii: bool
    description: str
    minimum: Decimal | str | None = None
    maximum: Decimal | str | None = None
    allowed_values: tuple[str, ...] = ()
    pattern: str | None = None
    raw_format: str | None = None
    derived_from: str | None = None
    derivation: Derivation = Derivation.UTC_DATE
    # A timestamp the source must deliver with its zone (ODCS ``timezone: true``): a zone-less value is a type
    # failure instead of being read as UTC.
    requires_zone: bool = False
    # No value may be later than the run's date (a date in the future is out of range).
    not_after_run_date: bool = False


@dataclass(frozen=True)
class ForeignKey:
    """A field whose non-empty values must be keys of another dataset's curated rows (ODCS ``relationships``)."""

    field: str
    parent: str
    parent_field: str


# The lake zones that hold a dataset's rows; each contract says how long each keeps them.
RETAINED_ZONES = ("raw", "curated", "quarantine")


@dataclass(frozen=True)
class Retention:
    """How many days each lake zone keeps the dataset's objects (ODCS ``slaProperties`` entries ``retention``).

    Days count from an object's last write: a raw file's landing, a curated partition's last rewrite, a
    quarantine run's write. The environment may only shorten these (``data_lake.retention_caps``).
    """

    raw_days: int
    curated_days: int
    quarantine_days: int

    def days(self, zone: str) -> int:
        """The days ``zone`` keeps the dataset; a KeyError names the zones that have a retention."""
        if zone not in RETAINED_ZONES:
            raise KeyError(f"no retention for zone {zone!r}; zones with one: {', '.join(RETAINED_ZONES)}")
        return getattr(self, f"{zone}_days")


@dataclass(frozen=True)
class DataContract:
    """A dataset's contract: schema, keys, rules, classification, delivery and ownership."""

    dataset: str
    version: str
    owner: str
    description: str
    classification: Classification
    fields: tuple[ContractField, ...]
    primary_key: tuple[str, ...]
    freshness_sla_hours: float
    delivery_schedule: str
    partition_by: tuple[str, ...]
    raw_format: RawFormat
    # A CSV column the source writes with unquoted commas ("Rua do Paço, 67"): a row with surplus fields has them
    # joined back into it only when each surplus piece begins with a space, as such an address does; a surplus
    # column (",extra") cannot be absorbed and leaves the row a column_count failure.
    unquoted_delimiter_field: str | None = None
    source_encoding: SourceEncoding = SourceEncoding.UTF_8
    foreign_keys: tuple[ForeignKey, ...] = ()
    # Every contract file declares one (the loader requires it); None only for contracts built in code.
    retention: Retention | None = None

    def field(self, name: str) -> ContractField:
        """The field called ``name``; a KeyError names the dataset when there is none."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(f"contract {self.dataset!r} has no field {name!r}")

    @property
    def source_fields(self) -> tuple[ContractField, ...]:
        """The fields read from raw files, in contract order (derived fields excluded)."""
        return tuple(f for f in self.fields if f.derived_from is None)

    @property
    def pii_fields(self) -> tuple[str, ...]:
        """Names of the fields pseudonymized in the curated zone."""
        return tuple(f.name for f in self.fields if f.is_pii)
