"""The Glue entry script parses its arguments once and curates each requested dataset."""

from __future__ import annotations

from datetime import date

import boto3
from moto import mock_aws

from etl.contracts import all_contracts
from etl.jobs.curate import CurateJobArgs, main
from etl.lake import LocalLakeStore

ARGS = {
    "run_date": "2026-11-29",
    "lake_bucket": "lake",
    "lake_kms_key_id": "key",
    "pseudonym_secret_id": "northwind/pseudonym-key",
}


def test_job_arguments_default_to_every_contract_and_a_three_day_lookback():
    args = CurateJobArgs.parse(ARGS)
    assert (args.run_date, args.lookback_days, args.datasets) == (date(2026, 11, 29), 3, tuple(all_contracts()))
    named = CurateJobArgs.parse({**ARGS, "datasets": " orders, customers ", "lookback_days": "0"})
    assert (named.datasets, named.lookback_days) == (("orders", "customers"), 0)


@mock_aws
def test_the_job_curates_each_requested_dataset_with_the_key_from_secrets_manager(spark, tmp_path, monkeypatch):
    """Secrets Manager is moto's in-process double; the lake is a local folder."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="northwind/pseudonym-key", SecretString="job-key"
    )
    args = CurateJobArgs.parse({**ARGS, "datasets": "orders,products"})
    reports = main(spark, args, LocalLakeStore(tmp_path))
    assert [(r.dataset, r.rows_landed, r.balanced) for r in reports] == [("orders", 0, True), ("products", 0, True)]
