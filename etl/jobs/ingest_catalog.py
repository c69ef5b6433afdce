"""Glue 5.0 entry script for the weekly catalog: fetch every page and land it in the raw zone.

It runs as a small Glue 5.0 Spark job rather than a Python shell job: Python shell stops at Python 3.9, which
cannot import the package (docs/adr/0052-runtime-of-the-catalog-pull.md). Only the ``__main__`` block knows
about Glue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from etl.ingest.catalog import TOKEN_ENV_VAR, CatalogApiClient, CatalogApiSettings, ingest_catalog
from etl.ingest.errors import IngestError
from etl.ingest.landing import LandingReport
from etl.jobs import JobArgument, parse_run_date, present, require, run_entry
from etl.lake import LakeStore, S3LakeStore
from etl.secrets import SecretUnavailableError, read_secret

log = logging.getLogger(__name__)
# The datasets this job lands: their contracts' schedules start it before curation.
LANDS = ("products",)
ARGUMENTS = (
    JobArgument("run_date", "the day the pages land under, YYYY-MM-DD"),
    JobArgument("catalog_base_url", "the catalog API's base URL"),
    JobArgument("catalog_token_secret_id", "the Secrets Manager id of the catalog API's bearer token"),
    JobArgument("lake_bucket", "the lake bucket"),
    JobArgument("lake_kms_key_id", "the lake KMS key every write is encrypted with"),
)


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
        given = require(raw, ARGUMENTS)
        return cls(
            run_date=parse_run_date(given["run_date"]),
            catalog_base_url=given["catalog_base_url"],
            catalog_token_secret_id=given["catalog_token_secret_id"],
            lake_bucket=given["lake_bucket"],
            lake_kms_key_id=given["lake_kms_key_id"],
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

    run_entry(
        "ingest_catalog",
        lambda: main(CatalogJobArgs.parse(getResolvedOptions(sys.argv, present(ARGUMENTS, sys.argv)))),
        (SecretUnavailableError, IngestError),
    )
