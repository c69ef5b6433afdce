"""Glue (Python shell) entry script for the weekly catalog: fetch every page and land it in the raw zone.

Job arguments: ``--run_date YYYY-MM-DD``, ``--catalog_base_url``, ``--catalog_token_secret_id`` (the Secrets
Manager id of the API's bearer token, ``northwind-<env>/catalog-token``), ``--lake_bucket`` and
``--lake_kms_key_id``. Only the ``__main__`` block knows about Glue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from etl.ingest.catalog import TOKEN_ENV_VAR, CatalogApiClient, CatalogApiSettings, ingest_catalog
from etl.ingest.landing import LandingReport
from etl.lake import LakeStore, S3LakeStore
from etl.secrets import read_secret

log = logging.getLogger(__name__)
ARGUMENTS = ("run_date", "catalog_base_url", "catalog_token_secret_id", "lake_bucket", "lake_kms_key_id")


@dataclass(frozen=True)
class CatalogJobArgs:
    """The catalog job's arguments, parsed once."""

    run_date: date
    catalog_base_url: str
    catalog_token_secret_id: str
    lake_bucket: str
    lake_kms_key_id: str

    @classmethod
    def parse(cls, raw: dict[str, str]) -> CatalogJobArgs:
        """Job arguments as Glue resolves them (all strings)."""
        return cls(
            run_date=date.fromisoformat(raw["run_date"]),
            catalog_base_url=raw["catalog_base_url"],
            catalog_token_secret_id=raw["catalog_token_secret_id"],
            lake_bucket=raw["lake_bucket"],
            lake_kms_key_id=raw["lake_kms_key_id"],
        )


def main(args: CatalogJobArgs, store: LakeStore | None = None) -> LandingReport:
    """Land the catalog's pages for the run date."""
    import boto3

    store = store or S3LakeStore(args.lake_bucket, args.lake_kms_key_id, boto3.client("s3"))
    token = read_secret(args.catalog_token_secret_id, TOKEN_ENV_VAR)
    report = ingest_catalog(store, CatalogApiClient(CatalogApiSettings(args.catalog_base_url, token)), args.run_date)
    log.info(
        "products: %d page(s) landed, %d skipped, %d new version(s), %d item(s)",
        report.files_landed,
        report.files_skipped,
        report.new_versions,
        report.rows_landed,
    )
    return report


if __name__ == "__main__":
    import sys

    from awsglue.utils import getResolvedOptions

    main(CatalogJobArgs.parse(getResolvedOptions(sys.argv, list(ARGUMENTS))))
