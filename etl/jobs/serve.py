"""Glue 5.0 entry script for the serving load: ``main(spark, args)`` upserts the aggregates into RDS.

The load logs in as its own database role (``--serving_db_user``, created by migration V005) with an RDS IAM
token, never as the master user, and only to a server whose certificate and name the RDS CA bundle
(``--serving_db_ca_bundle_url``) vouches for; it applies pending migrations of the serving schema, then upserts the
serving tables built from ``--datasets`` (default: every table). The job runs in the VPC through the stack's
Glue connection; psycopg comes from ``--additional-python-modules``. Only the ``__main__`` block knows about Glue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyspark.sql import SparkSession

from etl.jobs import JobArgument, JobArgumentError, present, require, run_entry
from etl.lake import LakeStore, S3LakeStore
from etl.serve.ca_bundle import CaBundleError
from etl.serve.connection import ServingDatabaseConfigError, ServingDatabaseEndpoint, endpoint_from_arguments
from etl.serve.load import SERVING_TABLES, ServingInputError, load_serving, tables_for
from etl.serve.login import ServingLoginError, connect_as_load_role
from etl.serve.migrate import MigrationError
from etl.serve.upsert import ServingSchemaError, UpsertResult

log = logging.getLogger(__name__)
ARGUMENTS = (
    JobArgument("datasets", "comma-separated datasets whose serving tables to load; default every table", False),
    JobArgument("lake_bucket", "the lake bucket"),
    JobArgument("lake_kms_key_id", "the lake KMS key"),
    JobArgument("serving_db_host", "the serving database's address"),
    JobArgument("serving_db_port", "the serving database's port"),
    JobArgument("serving_db_name", "the serving database's name"),
    JobArgument("serving_db_user", "the load's database role, which logs in with an IAM token"),
    JobArgument("serving_db_ca_bundle_url", "the HTTPS URL of the RDS CA bundle the database is verified against"),
)


@dataclass(frozen=True)
class ServeJobArgs:
    """The serving job's arguments, parsed once."""

    datasets: tuple[str, ...]
    lake_bucket: str
    lake_kms_key_id: str
    serving_db_endpoint: ServingDatabaseEndpoint
    serving_db_user: str
    serving_db_ca_bundle_url: str

    @classmethod
    def parse(cls, raw: dict[str, str]) -> ServeJobArgs:
        """Job arguments as Glue resolves them (all strings)."""
        given = require(raw, ARGUMENTS)
        datasets = tuple(name.strip() for name in given.get("datasets", "").split(",") if name.strip())
        if datasets and not tables_for(datasets):
            served = sorted({d for table in SERVING_TABLES for d in table.datasets})
            raise JobArgumentError(f"--datasets {','.join(datasets)} feeds no serving table; use some of {served}")
        endpoint = endpoint_from_arguments(given["serving_db_host"], given["serving_db_port"], given["serving_db_name"])
        return cls(
            datasets=datasets,
            lake_bucket=given["lake_bucket"],
            lake_kms_key_id=given["lake_kms_key_id"],
            serving_db_endpoint=endpoint,
            serving_db_user=given["serving_db_user"],
            serving_db_ca_bundle_url=given["serving_db_ca_bundle_url"],
        )


def main(
    spark: SparkSession, args: ServeJobArgs, store: LakeStore | None = None, rds: object | None = None
) -> list[UpsertResult]:
    """Migrate the serving schema and upsert the aggregates built from the requested datasets."""
    import boto3

    store = store or S3LakeStore(args.lake_bucket, args.lake_kms_key_id, boto3.client("s3"))
    rds = rds or boto3.client("rds")
    with connect_as_load_role(
        args.serving_db_endpoint, args.serving_db_user, rds, args.serving_db_ca_bundle_url
    ) as connection:
        results = load_serving(spark, store, connection, tables_for(args.datasets))
    for result in results:
        log.info(
            "%s: %d rows, %d inserted, %d updated, %d deleted",
            result.table,
            result.rows,
            result.inserted,
            result.updated,
            result.deleted,
        )
    return results


if __name__ == "__main__":
    import sys

    from awsglue.context import GlueContext
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    def _run() -> None:
        args = ServeJobArgs.parse(getResolvedOptions(sys.argv, present(ARGUMENTS, sys.argv)))
        main(GlueContext(SparkContext.getOrCreate()).spark_session, args)

    run_entry(
        "serve",
        _run,
        (
            ServingDatabaseConfigError,
            CaBundleError,
            ServingLoginError,
            MigrationError,
            ServingInputError,
            ServingSchemaError,
        ),
    )
