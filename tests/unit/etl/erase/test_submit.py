"""Requesting an erasure in AWS: the request goes to the lake, only its id to the job, and the audit record back.

moto's in-process double stands in for S3 and Glue; a Glue job run that fails is scripted by a small stand-in
client, as moto's runs always succeed.
"""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from etl.erase.run import ErasureRequest
from etl.erase.submit import ErasureRunError, submit_erasure
from etl.jobs.erase_customer import request_key
from scripts.erase_customer import app, erasure_job_name, summary_lines

REQUEST = ErasureRequest("ALFKI", "REQ-11", "privacy ticket REQ-11")
RECORD = {
    "request_id": "REQ-11",
    "status": "completed",
    "stores": [
        {
            "store": "s3://lake",
            "counts": {"raw/orders": {"records_removed": 6, "objects_rewritten": 1, "versions_deleted": 1}},
        }
    ],
    "serving_rows_deleted": {"serving.customer_lifetime_value": 1},
}


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    with mock_aws():
        s3, glue = boto3.client("s3"), boto3.client("glue")
        s3.create_bucket(Bucket="lake", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        glue.create_job(
            Name="northwind-unit-erase-customer",
            Role="arn:aws:iam::123456789012:role/northwind-unit-glue-erasure",
            Command={"Name": "glueetl", "ScriptLocation": "s3://artifacts/erase_customer.py"},
        )
        yield s3, glue


def test_the_request_is_written_to_the_lake_and_only_its_id_is_passed_to_the_job(aws):
    s3, glue = aws
    # What the job writes when it completes.
    s3.put_object(Bucket="lake", Key="reports/erasure/date=2026-12-01/REQ-11.json", Body=json.dumps(RECORD))

    record = submit_erasure(REQUEST, "lake", "alias/lake", "northwind-unit-erase-customer", (s3, glue), print)

    assert record == RECORD
    written = s3.get_object(Bucket="lake", Key=request_key("REQ-11"))
    assert json.loads(written["Body"].read()) == {"customer_id": "ALFKI", "requested_by": "privacy ticket REQ-11"}
    assert written["ServerSideEncryption"] == "aws:kms"
    (run,) = glue.get_job_runs(JobName="northwind-unit-erase-customer")["JobRuns"]
    assert run["Arguments"] == {"--request_id": "REQ-11"}


def test_a_run_without_an_audit_record_is_an_error(aws):
    with pytest.raises(ErasureRunError, match="wrote no audit record for REQ-11"):
        submit_erasure(REQUEST, "lake", "alias/lake", "northwind-unit-erase-customer", aws, print)


class FailingGlue:
    """A Glue client whose run runs once, then fails (moto's runs always succeed)."""

    def __init__(self) -> None:
        self.states = iter(["RUNNING", "FAILED"])

    def start_job_run(self, **_: object) -> dict:
        return {"JobRunId": "jr_1"}

    def get_job_run(self, **_: object) -> dict:
        return {"JobRun": {"JobRunState": next(self.states), "ErrorMessage": "erase_customer: no erasure request"}}


def test_a_failed_run_names_the_run_and_glues_reason_after_waiting(aws):
    s3, _ = aws
    waits: list[float] = []
    with pytest.raises(ErasureRunError, match="run jr_1 ended FAILED: erase_customer: no erasure request"):
        submit_erasure(
            REQUEST, "lake", "alias/lake", "job", (s3, FailingGlue()), print, poll_seconds=7, sleep=waits.append
        )
    assert waits == [7]


def test_the_summary_lists_what_was_removed_where():
    assert summary_lines(RECORD) == [
        "  s3://lake raw/orders: 6 record(s) removed, 1 object(s) rewritten, 1 version(s) deleted",
        "  serving serving.customer_lifetime_value: 1 row(s) deleted",
    ]
    assert erasure_job_name("prod") == "northwind-prod-erase-customer"


def test_the_command_refuses_a_bad_request_in_one_line():
    result = CliRunner().invoke(app, ["dev", "--customer-id", "x", "--request-id", "R", "--requested-by", "t"])
    assert result.exit_code == 1 and "does not match the contract" in result.output
