"""Glue 5.0 entry script for the serving load: ``main(spark, args)`` upserts every aggregate into RDS.

Job arguments: ``--lake_bucket``, ``--lake_kms_key_id`` and ``--serving_db_secret_id`` (the Secrets Manager
id of the serving database's connection secret). psycopg comes from ``--additional-python-modules``. Only the
``__main__`` block knows about Glue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg
from pyspark.sql import SparkSession

from etl.lake import LakeStore, S3LakeStore
from etl.serve.connection import settings_from_secret
from etl.serve.load import load_serving
from etl.serve.upsert import UpsertResult

log = logging.getLogger(__name__)
ARGUMENTS = ("lake_bucket", "lake_kms_key_id", "serving_db_secret_id")


@dataclass(frozen=True)
class ServeJobArgs:
    """The serving job's arguments, parsed once."""

    lake_bucket: str
    lake_kms_key_id: str
    serving_db_secret_id: str

    @classmethod
    def parse(cls, raw: dict[str, str]) -> ServeJobArgs:
        """Job arguments as Glue resolves them."""
        return cls(raw["lake_bucket"], raw["lake_kms_key_id"], raw["serving_db_secret_id"])


def main(spark: SparkSession, args: ServeJobArgs, store: LakeStore | None = None) -> list[UpsertResult]:
    """Migrate the serving database and upsert every aggregate of the curated zone."""
    import boto3

    store = store or S3LakeStore(args.lake_bucket, args.lake_kms_key_id, boto3.client("s3"))
    settings = settings_from_secret(args.serving_db_secret_id)
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
    main(glue.spark_session, ServeJobArgs.parse(getResolvedOptions(sys.argv, list(ARGUMENTS))))
