"""The curation entry script parses its arguments once, curates each requested dataset and publishes the
pipeline metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime

import boto3
import pytest
from moto import mock_aws

from etl.contracts import all_contracts
from etl.jobs import JobArgumentError
from etl.jobs import curate as curate_job
from etl.jobs.curate import CurateJobArgs, dry_run, main
from etl.lake import LocalLakeStore
from etl.secrets import SecretUnavailableError

ARGS = {
    "run_date": "2026-11-29",
    "lake_bucket": "lake",
    "lake_kms_key_id": "key",
    "pseudonym_secret_id": "northwind/pseudonym-key",
    "metrics_namespace": "Northwind/Pipeline",
}


def test_job_arguments_default_to_every_contract_and_a_three_day_lookback():
    args = CurateJobArgs.parse(ARGS)
    assert (args.run_date, args.lookback_days, args.datasets) == (date(2026, 11, 29), 3, tuple(all_contracts()))
    named = CurateJobArgs.parse({**ARGS, "datasets": " orders, customers ", "lookback_days": "0"})
    assert (named.datasets, named.lookback_days) == (("orders", "customers"), 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"run_date": None}, "missing job argument(s): --run_date (the day to curate, YYYY-MM-DD)"),
        ({"run_date": "29/11/2026"}, "--run_date '29/11/2026' is not a date; pass YYYY-MM-DD"),
        ({"lookback_days": "-1"}, "--lookback_days must be 0 or more, got -1"),
        ({"datasets": "orders,invoices"}, "--datasets names 'invoices', which has no contract"),
    ],
)
def test_a_bad_argument_is_one_error_naming_it(change, message):
    raw = {key: value for key, value in {**ARGS, **change}.items() if value is not None}
    with pytest.raises(JobArgumentError) as raised:
        CurateJobArgs.parse(raw)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


@mock_aws
def test_the_job_curates_each_requested_dataset_and_publishes_its_metrics(spark, tmp_path, monkeypatch):
    """Secrets Manager and CloudWatch are moto's in-process doubles; the lake is a local folder."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("secretsmanager").create_secret(Name="northwind/pseudonym-key", SecretString="job-key")
    cloudwatch = boto3.client("cloudwatch")
    args = CurateJobArgs.parse({**ARGS, "datasets": "orders,products"})

    reports = main(spark, args, LocalLakeStore(tmp_path), cloudwatch)

    assert [(r.dataset, r.rows_landed, r.balanced) for r in reports] == [("orders", 0, True), ("products", 0, True)]
    published = cloudwatch.list_metrics(Namespace="Northwind/Pipeline")["Metrics"]
    by_name = {(m["MetricName"], tuple(d["Value"] for d in m.get("Dimensions", []))) for m in published}
    assert ("RowsLanded", ("orders",)) in by_name
    # Nothing was ever curated, so no dataset has a freshness yet and none is within its SLA.
    assert ("WithinSla", ("customers",)) in by_name
    assert not any(name == "FreshnessHours" for name, _ in by_name)


@mock_aws
def test_a_dataset_that_fails_leaves_the_others_curated_and_measured_and_fails_the_job(spark, tmp_path, monkeypatch):
    """Secrets Manager and CloudWatch are moto's in-process doubles; customers' curation is made to raise."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("secretsmanager").create_secret(Name="northwind/pseudonym-key", SecretString="job-key")
    cloudwatch = boto3.client("cloudwatch")
    curate = curate_job.curate_dataset

    def failing_customers(spark, store, dataset, *args, **kwargs):
        if dataset == "customers":
            raise RuntimeError("customers broke")
        return curate(spark, store, dataset, *args, **kwargs)

    monkeypatch.setattr(curate_job, "curate_dataset", failing_customers)
    store = LocalLakeStore(tmp_path)

    with pytest.raises(RuntimeError, match="customers broke"):
        main(spark, CurateJobArgs.parse({**ARGS, "datasets": "orders,customers,products"}), store, cloudwatch)

    # products ran and published; orders references customers, so it waited and did not run.
    assert store.exists("reports/run_date=2026-11-29/products.json")
    assert not store.exists("reports/run_date=2026-11-29/orders.json")
    published = cloudwatch.list_metrics(Namespace="Northwind/Pipeline", MetricName="RowsLanded")["Metrics"]
    assert {d["Value"] for m in published for d in m["Dimensions"]} == {"products"}


@mock_aws
def test_a_dry_run_checks_what_a_run_needs_and_writes_nothing(spark, tmp_path, monkeypatch):
    """The delivery pipeline's smoke test runs the job with --dry_run true; moto stands in for AWS."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("secretsmanager").create_secret(Name="northwind/pseudonym-key", SecretString="job-key")
    store = LocalLakeStore(tmp_path)
    store.put_bytes("raw/orders/date=2026-11-29/orders.csv", b"order_id\n1\n")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    cloudwatch = boto3.client("cloudwatch")
    args = CurateJobArgs.parse({key: value for key, value in {**ARGS, "dry_run": "true"}.items() if key != "run_date"})

    assert args.dry_run and args.run_date == datetime.now(UTC).date()
    assert main(spark, args, store, cloudwatch) == []
    report = dry_run(spark, CurateJobArgs.parse({**ARGS, "dry_run": "true", "datasets": "orders"}), store)

    assert (report.datasets, report.raw_objects, report.objects_read) == (("orders",), 1, 1)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()) == before
    assert cloudwatch.list_metrics(Namespace="Northwind/Pipeline")["Metrics"] == []


@mock_aws
def test_a_dry_run_fails_in_one_error_when_the_key_is_not_set(spark, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    args = CurateJobArgs.parse({**ARGS, "dry_run": "true"})
    boto3.client("secretsmanager").create_secret(Name="northwind/pseudonym-key")  # created, no value yet
    with pytest.raises(
        SecretUnavailableError,
        match=r"does not exist or has no value yet; check the id, or set its value with make secret-value",
    ):
        dry_run(spark, args, LocalLakeStore(tmp_path))
    with pytest.raises(JobArgumentError, match=r"--dry_run 'yes': pass true or false"):
        CurateJobArgs.parse({**ARGS, "dry_run": "yes"})
