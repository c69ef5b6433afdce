"""The Glue Data Catalog: zone databases, the dataset tables from the contracts, catalog encryption settings,
the Glue jobs' security configuration."""

from modules.catalog.construct import Catalog
from modules.catalog.props import ZONES_HOLDING_DATASETS, CatalogProps, database_name
from modules.catalog.tables import CatalogColumn, CatalogTable, ContractTableError, dataset_tables

__all__ = [
    "ZONES_HOLDING_DATASETS",
    "Catalog",
    "CatalogColumn",
    "CatalogProps",
    "CatalogTable",
    "ContractTableError",
    "database_name",
    "dataset_tables",
]
