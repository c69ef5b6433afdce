"""Props of the catalog construct."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf import ITerraformDependable

from etl.lake import ZONES
from modules.catalog.tables import CatalogTable
from modules.classification import Classification

# Zones whose tables hold dataset rows; reports/ holds run reports (counts, rule outcomes), no rows.
ZONES_HOLDING_DATASETS = ("raw", "curated", "quarantine")


def database_name(name_prefix: str, zone: str) -> str:
    """The Glue database of a zone, e.g. ``northwind_dev_raw`` (underscores: Athena and Spark SQL friendly)."""
    if zone not in ZONES:
        raise ValueError(f"unknown lake zone {zone!r}; expected one of {', '.join(ZONES)}")
    return f"{name_prefix}_{zone}".replace("-", "_")


@dataclass(frozen=True)
class CatalogProps:
    """Inputs of ``Catalog``.

    Attributes:
        name_prefix: ``northwind-<env>``; databases are ``<prefix>_<zone>`` (see ``database_name``), the
            security configuration ``<prefix>-glue-jobs``.
        lake_bucket_name: the lake bucket; each database's location is ``s3://<bucket>/<zone>/``.
        lake_kms_key_arn: encrypts the catalog, connection passwords, job output and job bookmarks.
        logs_kms_key_arn: encrypts the jobs' CloudWatch logs (its key policy admits CloudWatch Logs).
        zone_classifications: zone -> ``data-classification`` of its database, for every zone.
        zone_tag_key: the Lake Formation tag key naming a database's zone.
        classification_tag_key: the Lake Formation tag key of the classification.
        after: resources the databases wait for (the Lake Formation settings, so new databases start under
            Lake Formation control). Default: none.
        tables: the tables to register in the zone databases, each with its ``data-classification`` LF-tag
            and column-level tags where a column is classified otherwise (``modules.catalog.tables``).
            Default: none.
    """

    name_prefix: str
    lake_bucket_name: str
    lake_kms_key_arn: str
    logs_kms_key_arn: str
    zone_classifications: Mapping[str, Classification]
    zone_tag_key: str
    classification_tag_key: str
    after: Sequence[ITerraformDependable] = field(default_factory=tuple)
    tables: Sequence[CatalogTable] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if set(self.zone_classifications) != set(ZONES):
            raise ValueError(
                f"CatalogProps.zone_classifications: give a classification for each zone {', '.join(ZONES)} "
                f"(got {', '.join(sorted(self.zone_classifications)) or 'none'})"
            )
        names = [(table.zone, table.name) for table in self.tables]
        repeated = sorted({f"{zone}.{name}" for zone, name in names if names.count((zone, name)) > 1})
        if repeated:
            raise ValueError(f"CatalogProps.tables: each table once per zone (repeated: {', '.join(repeated)})")
        unknown = sorted({table.zone for table in self.tables} - set(ZONES_HOLDING_DATASETS))
        if unknown:
            raise ValueError(
                f"CatalogProps.tables: tables belong in {', '.join(ZONES_HOLDING_DATASETS)} (got {', '.join(unknown)})"
            )
