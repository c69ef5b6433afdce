"""Glue 5.0 entry script for the serving load: ``main(spark, args)`` upserts every aggregate into RDS.

Job arguments: ``--lake_bucket``, ``--lake_kms_key_id``, ``--serving_db_secret_id`` (the Secrets Manager id of
the database's RDS-managed master secret: username and password), ``--serving_db_host`` (the stack's
``database_address``), ``--serving_db_port`` (default 5432) and ``--serving_db_name`` (default northwind).
psycopg comes from ``--additional-python-modules``. Only the ``__main__`` block knows about Glue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg
from pyspark.sql import SparkSession

from etl.lake import LakeStore, S3LakeStore
from etl.serve.connection import ServingDatabaseEndpoint, endpoint_from_arguments, settings_from_secret
from etl.serve.load import load_serving
from etl.serve.upsert import UpsertResult

log = logging.getLogger(__name__)
ARGUMENTS = (
    "lake_bucket",
    "lake_kms_key_id",
    "serving_db_secret_id",
    "serving_db_host",
    "serving_db_port",
    "serving_db_name",
)


@dataclass(frozen=True)
class ServeJobArgs:
    """The serving job's arguments, parsed once."""

    lake_bucket: str
    lake_kms_key_id: str
    serving_db_secret_id: str
    serving_db_endpoint: ServingDatabaseEndpoint | None

    @classmethod
    def parse(cls, raw: dict[str, str]) -> ServeJobArgs:
        """Job arguments as Glue resolves them (all strings); without a host the secret must name it."""
        return cls(
            lake_bucket=raw["lake_bucket"],
            lake_kms_key_id=raw["lake_kms_key_id"],
            serving_db_secret_id=raw["serving_db_secret_id"],
            serving_db_endpoint=endpoint_from_arguments(
                raw.get("serving_db_host"), raw.get("serving_db_port"), raw.get("serving_db_name")
            ),
        )


def main(spark: SparkSession, args: ServeJobArgs, store: LakeStore | None = None) -> list[UpsertResult]:
    """Migrate the serving database and upsert every aggregate of the curated zone."""
    import boto3

    store = store or S3LakeStore(args.lake_bucket, args.lake_kms_key_id, boto3.client("s3"))
    settings = settings_from_secret(args.serving_db_secret_id, args.serving_db_endpoint)
    with psycopg.connect(settings.conninfo()) as connection:
        results = load_serving(spark, store, connection)
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

    glue = GlueContext(SparkContext.getOrCreate())
    options = getResolvedOptions(sys.argv, [name for name in ARGUMENTS if f"--{name}" in sys.argv])
    main(glue.spark_session, ServeJobArgs.parse(options))
