"""Glue 5.0 entry script for curation: ``main(spark, args)`` curates the requested datasets for one run date.

After curating, the run records each dataset's freshness and publishes the pipeline metrics (rows landed,
curated, quarantined, balanced; freshness and within-SLA for every contract) to CloudWatch. With
``--dry_run true`` (the delivery pipeline's smoke test) it checks what a run needs and writes nothing: the
contracts load from the wheel, Spark runs, the pseudonymization key resolves and the raw zone can be listed.
Only the ``__main__`` block knows about Glue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pyspark.sql import SparkSession

from etl.contracts import ContractError, all_contracts, load_contract, reference_order
from etl.curate import DatasetRunReport, RunStatus, curate_dataset
from etl.curate.concurrent import curate_concurrently
from etl.curate.deliveries import run_window
from etl.curate.pseudonymize import resolve_pseudonym_key
from etl.jobs import (
    JobArgument,
    JobArgumentError,
    parse_flag,
    parse_int,
    parse_run_date,
    present,
    require,
    run_entry,
)
from etl.lake import LakeStore, S3LakeStore
from etl.metrics import metric_data, publish
from etl.secrets import SecretUnavailableError
from etl.sla import measure, record_curation
from etl.spark import resolve_gateway_names

log = logging.getLogger(__name__)
ARGUMENTS = (
    JobArgument("run_date", "the day to curate, YYYY-MM-DD"),
    JobArgument("datasets", "comma-separated datasets; default every contract", required=False),
    JobArgument("lookback_days", "earlier raw partitions to re-read for late data; default 3", required=False),
    JobArgument("lake_bucket", "the lake bucket"),
    JobArgument("lake_kms_key_id", "the lake KMS key every write is encrypted with"),
    JobArgument("pseudonym_secret_id", "the Secrets Manager id of the pseudonymization key"),
    JobArgument("metrics_namespace", "the CloudWatch namespace of the pipeline metrics"),
    JobArgument("dry_run", "true: check what a run needs and write nothing; default false", required=False),
)


@dataclass(frozen=True)
class CurateJobArgs:
    """The curation job's arguments, parsed once."""

    run_date: date
    datasets: tuple[str, ...]
    lookback_days: int
    lake_bucket: str
    lake_kms_key_id: str
    pseudonym_secret_id: str
    metrics_namespace: str
    dry_run: bool = False

    @classmethod
    def parse(cls, raw: dict[str, str]) -> CurateJobArgs:
        """Job arguments as Glue resolves them (all strings); an empty dataset list means every contract. A dry
        run needs no run date (it curates nothing): today's is used."""
        dry_run = parse_flag("dry_run", raw.get("dry_run"))
        if dry_run and not raw.get("run_date"):
            raw = {**raw, "run_date": datetime.now(UTC).date().isoformat()}
        given = require(raw, ARGUMENTS)
        datasets = tuple(name.strip() for name in given.get("datasets", "").split(",") if name.strip())
        for dataset in datasets:
            try:
                load_contract(dataset)
            except ContractError:
                raise JobArgumentError(
                    f"--datasets names {dataset!r}, which has no contract; use some of {', '.join(all_contracts())}"
                ) from None
        return cls(
            run_date=parse_run_date(given["run_date"]),
            datasets=datasets or tuple(all_contracts()),
            lookback_days=parse_int("lookback_days", given.get("lookback_days"), 3),
            lake_bucket=given["lake_bucket"],
            lake_kms_key_id=given["lake_kms_key_id"],
            pseudonym_secret_id=given["pseudonym_secret_id"],
            metrics_namespace=given["metrics_namespace"],
            dry_run=dry_run,
        )


@dataclass(frozen=True)
class DryRunReport:
    """What a dry run found: the datasets whose contracts loaded, the raw objects it would read, and how many
    of them it read (the first of each dataset, so the lake key's decryption is checked too)."""

    datasets: tuple[str, ...]
    raw_objects: int
    objects_read: int


def dry_run(spark: SparkSession, args: CurateJobArgs, store: LakeStore) -> DryRunReport:
    """Everything a curation run needs, checked without writing: contracts, Spark, the key, the raw zone."""
    for dataset in args.datasets:
        load_contract(dataset)
    spark.range(1).count()
    resolve_pseudonym_key(args.pseudonym_secret_id)
    windows = [run_window(store, dataset, args.run_date, args.lookback_days) for dataset in args.datasets]
    listed = [[f.key for f in window.files] + list(window.unregistered) for window in windows]
    for keys in listed:
        if keys:
            store.get_bytes(keys[0])
    report = DryRunReport(args.datasets, sum(map(len, listed)), sum(1 for keys in listed if keys))
    log.info(
        "dry run: %d contracts, key resolved, %d raw objects listed, %d read; nothing written",
        len(report.datasets),
        report.raw_objects,
        report.objects_read,
    )
    return report


def main(
    spark: SparkSession, args: CurateJobArgs, store: LakeStore | None = None, cloudwatch: object | None = None
) -> list[DatasetRunReport]:
    """Curate every requested dataset, concurrently, each after the parents its foreign keys name, and publish the
    metrics of those that ran; fails the job when a dataset raised (its dependants are not run, the others' results
    stay), had files with breaking schema drift or does not balance."""
    import boto3

    spark.conf.set("spark.sql.session.timeZone", "UTC")
    resolve_gateway_names(spark)
    store = store or S3LakeStore(args.lake_bucket, args.lake_kms_key_id, boto3.client("s3"))
    if args.dry_run:
        dry_run(spark, args, store)
        return []
    key = resolve_pseudonym_key(args.pseudonym_secret_id)
    curated, errors = {}, []
    # Concurrently, each dataset after its parents: a small run is mostly driver time, billed per DPU-second.
    for outcome in curate_concurrently(
        args.datasets,
        lambda dataset: curate_dataset(spark, store, dataset, args.run_date, args.lookback_days, pseudonym_key=key),
    ):
        if outcome.report is None:
            log.error("%s: %s", outcome.dataset, outcome.error or f"not run: {outcome.blocked_by} failed")
            errors += [outcome.error] if outcome.error else []
            continue
        report = curated[outcome.dataset] = outcome.report
        record_curation(store, report, report.curated_files)
        log.info(
            "%s: %s landed=%d curated=%d quarantined=%d",
            report.dataset,
            report.status.value,
            report.rows_landed,
            report.rows_curated,
            report.rows_quarantined,
        )
    reports = [curated[dataset] for dataset in reference_order(args.datasets) if dataset in curated]
    now = datetime.now(UTC)
    data = metric_data(reports, measure(store, list(all_contracts()), now), now)
    publish(cloudwatch or boto3.client("cloudwatch"), args.metrics_namespace, data)
    if errors:
        raise errors[0]
    failed = [r.dataset for r in reports if r.status is RunStatus.SCHEMA_DRIFT or not r.balanced]
    if failed:
        raise SystemExit(f"curation stopped for {', '.join(failed)}; see the run reports")
    return reports


if __name__ == "__main__":
    import sys

    from awsglue.context import GlueContext
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    def _run() -> None:
        options = getResolvedOptions(sys.argv, present(ARGUMENTS, sys.argv))
        args = CurateJobArgs.parse(options)
        main(GlueContext(SparkContext.getOrCreate()).spark_session, args)

    run_entry("curate", _run, (SecretUnavailableError,))
