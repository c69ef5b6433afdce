"""Glue 5.0 entry script for curation: ``main(spark, args)`` curates the requested datasets for one run date.

Job arguments: ``--run_date YYYY-MM-DD``, ``--datasets orders,order_lines,...`` (default: every contract),
``--lookback_days 3``, ``--lake_bucket``, ``--lake_kms_key_id`` and ``--pseudonym_secret_id`` (the Secrets
Manager id of the pseudonymization key, ``northwind-<env>/pseudonym-key``). Only the ``__main__`` block knows
about Glue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from pyspark.sql import SparkSession

from etl.contracts import all_contracts
from etl.curate import DatasetRunReport, RunStatus, curate_dataset
from etl.curate.pseudonymize import resolve_pseudonym_key
from etl.lake import LakeStore, S3LakeStore

log = logging.getLogger(__name__)
ARGUMENTS = ("run_date", "datasets", "lookback_days", "lake_bucket", "lake_kms_key_id", "pseudonym_secret_id")


@dataclass(frozen=True)
class CurateJobArgs:
    """The curation job's arguments, parsed once."""

    run_date: date
    datasets: tuple[str, ...]
    lookback_days: int
    lake_bucket: str
    lake_kms_key_id: str
    pseudonym_secret_id: str

    @classmethod
    def parse(cls, raw: dict[str, str]) -> CurateJobArgs:
        """Job arguments as Glue resolves them (all strings); an empty dataset list means every contract."""
        datasets = tuple(name.strip() for name in raw.get("datasets", "").split(",") if name.strip())
        return cls(
            run_date=date.fromisoformat(raw["run_date"]),
            datasets=datasets or tuple(all_contracts()),
            lookback_days=int(raw.get("lookback_days") or 3),
            lake_bucket=raw["lake_bucket"],
            lake_kms_key_id=raw["lake_kms_key_id"],
            pseudonym_secret_id=raw["pseudonym_secret_id"],
        )


def main(spark: SparkSession, args: CurateJobArgs, store: LakeStore | None = None) -> list[DatasetRunReport]:
    """Curate every requested dataset; fails the job when a dataset stops on drift or does not balance."""
    import boto3

    spark.conf.set("spark.sql.session.timeZone", "UTC")
    store = store or S3LakeStore(args.lake_bucket, args.lake_kms_key_id, boto3.client("s3"))
    key = resolve_pseudonym_key(args.pseudonym_secret_id)
    reports = [
        curate_dataset(spark, store, dataset, args.run_date, args.lookback_days, pseudonym_key=key)
        for dataset in args.datasets
    ]
    for report in reports:
        log.info(
            "%s: %s landed=%d curated=%d quarantined=%d",
            report.dataset,
            report.status.value,
            report.rows_landed,
            report.rows_curated,
            report.rows_quarantined,
        )
    failed = [r.dataset for r in reports if r.status is RunStatus.STOPPED_SCHEMA_DRIFT or not r.balanced]
    if failed:
        raise SystemExit(f"curation stopped for {', '.join(failed)}; see the run reports")
    return reports


if __name__ == "__main__":
    import sys

    from awsglue.context import GlueContext
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    glue = GlueContext(SparkContext.getOrCreate())
    options = getResolvedOptions(sys.argv, [name for name in ARGUMENTS if f"--{name}" in sys.argv])
    main(glue.spark_session, CurateJobArgs.parse(options))
