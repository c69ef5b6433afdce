"""Catalog tables derived from the data contracts, shaped exactly as curation writes the lake.

- **Curated** (``curated/<dataset>/``, ``etl.curate.write.write_curated``): the contract's fields in contract
  order with their Spark SQL types, PII fields as the 64-character HMAC pseudonym (a string); the partition
  fields leave the Parquet files and become directories ``<field>=<value>/`` in the contract's partition order.
- **Quarantine** (``quarantine/<dataset>/run_date=YYYY-MM-DD/``, ``write_quarantine``): the source file, the
  raw record, its failures and the landed rows it stands for, partitioned by run date.

Partitions become visible through Athena partition projection (table properties computed here from the
contract), so no job or person registers them (docs/adr/0060-catalog-tables-from-the-contracts.md). Each
column carries the classification of what it holds; a table carries the most sensitive of its columns, so a
column Lake Formation learns of without a tag of its own fails closed
(docs/adr/0061-column-level-classification-tags.md).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from etl.contracts import ContractError, ContractField, DataContract, Derivation, LogicalType
from etl.curate.columns import FAILURES, RAW_RECORD, ROWS, SOURCE_FILE
from etl.curate.write import curated_key, quarantine_key
from etl.quality.engine import FAILURE_TYPE
from modules.classification import OPERATIONAL, Classification, most_sensitive

# Spark writes date partition values in ISO form (order_month=1996-07-01), which is also what Athena projects.
PARTITION_DATE_FORMAT = "yyyy-MM-dd"
# Glue's limits on a column comment and a table description.
COLUMN_COMMENT_MAX = 255
TABLE_DESCRIPTION_MAX = 2048
_SIMPLE_TYPES = frozenset({"int", "bigint", "string", "double", "boolean", "date", "timestamp"})
_DECIMAL = re.compile(r"^decimal\(\d+,\d+\)$")


class ContractTableError(ContractError):
    """A contract cannot be registered as a catalog table; the message names the field and the fix."""


@dataclass(frozen=True)
class CatalogColumn:
    """One column (or partition key) as the catalog declares it, with the classification of what it holds."""

    name: str
    type: str
    classification: Classification
    comment: str = ""


@dataclass(frozen=True)
class CatalogTable:
    """One Parquet table of a zone.

    ``location_key`` is the lake key prefix the table reads (ending in ``/``); ``projection`` holds the Athena
    partition-projection table properties (empty for an unpartitioned table); ``classification`` is the
    table's own ``data-classification`` tag, never less sensitive than any of its columns.
    """

    zone: str
    name: str
    location_key: str
    description: str
    columns: tuple[CatalogColumn, ...]
    classification: Classification
    contract_version: str
    partition_keys: tuple[CatalogColumn, ...] = ()
    projection: Mapping[str, str] = field(default_factory=dict)

    @property
    def all_columns(self) -> tuple[CatalogColumn, ...]:
        """Data columns then partition keys: every column Lake Formation permissions apply to."""
        return self.columns + self.partition_keys

    def column_overrides(self) -> dict[Classification, tuple[str, ...]]:
        """Classification -> names of the columns whose classification differs from the table's own."""
        overrides: dict[Classification, list[str]] = {}
        for column in self.all_columns:
            if column.classification is not self.classification:
                overrides.setdefault(column.classification, []).append(column.name)
        return {classification: tuple(names) for classification, names in overrides.items()}


def column_classification(item: ContractField) -> Classification:
    """A field's classification in the curated zone; a PII field is confidential PII whatever else it says."""
    return Classification.CONFIDENTIAL_PII if item.is_pii else Classification(item.classification.value)


def curated_table(contract: DataContract) -> CatalogTable:
    """The curated table of ``contract``."""
    partitioned = set(contract.partition_by)
    columns = tuple(_column(contract, item) for item in contract.fields if item.name not in partitioned)
    keys = tuple(_column(contract, contract.field(name)) for name in contract.partition_by)
    projection: dict[str, str] = {}
    for name in contract.partition_by:
        projection |= _projection(contract, contract.field(name))
    return CatalogTable(
        zone="curated",
        name=contract.dataset,
        location_key=f"{curated_key(contract.dataset)}/",
        description=_shorten(contract.description, TABLE_DESCRIPTION_MAX),
        columns=columns,
        partition_keys=keys,
        projection=projection,
        classification=_table_classification(contract, columns + keys),
        contract_version=contract.version,
    )


def quarantine_table(contract: DataContract, retention_days: int) -> CatalogTable:
    """The quarantine table of ``contract``; run dates are projected over the ``retention_days`` the zone keeps.

    The raw record and the failures' raw values are the data as delivered, before pseudonymization, so they
    carry the most sensitive classification of the dataset; the source file is a lake key.
    """
    location_key, partition = _quarantine_layout(contract.dataset)
    raw = most_sensitive([contract.classification.value, *(column_classification(f).value for f in contract.fields)])
    columns = (
        CatalogColumn(SOURCE_FILE, "string", OPERATIONAL, "Lake key of the raw file the record came from."),
        CatalogColumn(RAW_RECORD, "string", raw, "The record as delivered (CSV line, JSON line or document)."),
        CatalogColumn(FAILURES, f"array<{FAILURE_TYPE}>", raw, "Every rule the record failed, with the raw value."),
        CatalogColumn(ROWS, "bigint", OPERATIONAL, "Landed rows the record stands for (all of an unreadable file's)."),
    )
    run_date = CatalogColumn(partition, "date", OPERATIONAL, "Day of the curation run that quarantined the record.")
    return CatalogTable(
        zone="quarantine",
        name=contract.dataset,
        location_key=location_key,
        description=_shorten(
            f"Records of {contract.dataset} that failed its contract, per curation run.", TABLE_DESCRIPTION_MAX
        ),
        columns=columns,
        partition_keys=(run_date,),
        projection=_date_projection(partition, f"NOW-{retention_days}DAYS", "DAYS"),
        classification=most_sensitive(c.classification.value for c in (*columns, run_date)),
        contract_version=contract.version,
    )


def dataset_tables(
    contracts: Mapping[str, DataContract], quarantine_retention_days: Mapping[str, int]
) -> tuple[CatalogTable, ...]:
    """The curated and quarantine table of every contract, in dataset order; ``quarantine_retention_days`` is
    how long the quarantine zone keeps each dataset (its contract, shortened by the environment)."""
    tables: list[CatalogTable] = []
    for dataset in sorted(contracts):
        days = quarantine_retention_days[dataset]
        tables += [curated_table(contracts[dataset]), quarantine_table(contracts[dataset], days)]
    return tuple(tables)


def _column(contract: DataContract, item: ContractField) -> CatalogColumn:
    return CatalogColumn(
        name=item.name,
        type="string" if item.is_pii else _hive_type(contract, item),  # the pseudonym is a hex string
        classification=column_classification(item),
        comment=_shorten(item.description, COLUMN_COMMENT_MAX),
    )


def _hive_type(contract: DataContract, item: ContractField) -> str:
    # The contract's Spark SQL types are also Hive's names for them; anything else must not reach the catalog.
    spark_type = item.spark_type.replace(" ", "")
    if spark_type in _SIMPLE_TYPES or _DECIMAL.match(spark_type):
        return spark_type
    raise ContractTableError(
        f"{contract.dataset}: field {item.name!r} has Spark type {item.spark_type!r}, which "
        "the catalog cannot declare; use a contract type that maps to a Hive type"
    )


def _table_classification(contract: DataContract, columns: Iterable[CatalogColumn]) -> Classification:
    return most_sensitive([contract.classification.value, *(c.classification.value for c in columns)])


def _projection(contract: DataContract, item: ContractField) -> dict[str, str]:
    """Athena projection properties of one partition field, from its type, derivation and bounds."""
    if item.logical_type is LogicalType.DATE:
        monthly = item.derived_from is not None and item.derivation is Derivation.MONTH_START
        start = _first_partition_day(contract, item)
        if monthly:
            start = start.replace(day=1)
        return _date_projection(item.name, start.isoformat(), "MONTHS" if monthly else "DAYS")
    prefix = f"projection.{item.name}"
    if item.logical_type is LogicalType.INTEGER and item.minimum is not None and item.maximum is not None:
        return {f"{prefix}.type": "integer", f"{prefix}.range": f"{int(item.minimum)},{int(item.maximum)}"}
    if item.allowed_values:
        return {f"{prefix}.type": "enum", f"{prefix}.values": ",".join(item.allowed_values)}
    raise ContractTableError(
        f"{contract.dataset}: partition field {item.name!r} ({item.logical_type.value}) cannot be projected for "
        "queries; partition by a date, an integer with logicalTypeOptions minimum and maximum, or a string enum"
    )


def _date_projection(name: str, start: str, unit: str) -> dict[str, str]:
    prefix = f"projection.{name}"
    return {
        f"{prefix}.type": "date",
        f"{prefix}.format": PARTITION_DATE_FORMAT,
        f"{prefix}.range": f"{start},NOW",
        f"{prefix}.interval": "1",
        f"{prefix}.interval.unit": unit,
    }


def _first_partition_day(contract: DataContract, item: ContractField) -> date:
    """The earliest partition: the field's minimum, or for a derived date the minimum of its source."""
    source = contract.field(item.derived_from) if item.derived_from else item
    for bound in (item.minimum, source.minimum):
        if bound is not None:
            return date.fromisoformat(str(bound)[:10])
    raise ContractTableError(
        f"{contract.dataset}: partition field {item.name!r} needs a logicalTypeOptions minimum (on it or on "
        f"{source.name!r}): the first day partition projection lists"
    )


def _quarantine_layout(dataset: str) -> tuple[str, str]:
    """(table location, partition column) of the quarantine writer's keys ``<location>/<column>=<day>``."""
    location, _, partition = quarantine_key(dataset, date(2000, 1, 1)).rpartition("/")
    column, _, value = partition.partition("=")
    if value != "2000-01-01":
        raise ContractTableError(
            f"quarantine key {quarantine_key(dataset, date(2000, 1, 1))!r} is not "
            "<location>/<column>=<YYYY-MM-DD>; update modules/catalog/tables.py with the writer"
        )
    return f"{location}/", column


def _shorten(text: str, width: int) -> str:
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" ...") if text else ""
