"""The Glue Data Catalog: zone databases, catalog encryption settings, the Glue jobs' security configuration."""

from modules.catalog.construct import Catalog
from modules.catalog.props import ZONES_HOLDING_DATASETS, CatalogProps, database_name

__all__ = ["ZONES_HOLDING_DATASETS", "Catalog", "CatalogProps", "database_name"]
