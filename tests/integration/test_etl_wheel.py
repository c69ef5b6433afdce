"""The etl wheel, installed into a clean virtual environment as Glue installs it, runs a job entry.

The environment gets what Glue 5.0 provides that the job uses (boto3 at Glue's version, requests, tenacity), the
pinned modules of ``--additional-python-modules`` and the wheel, nothing from this repository: the job runs from
the working directory of a temporary folder. AWS is moto's server on loopback (S3 and Secrets Manager), the
catalog API the local one; ``tests/support/glue_runtime`` stands in for Glue's ``awsglue``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import boto3
import pytest

from etl.localdev.catalog_api import LocalCatalogApi
from etl.serve.migrate import discover
from modules.artifacts import built_etl_wheel
from modules.processing.runtime import additional_python_modules
from tests.support.glue_runtime import GLUE_RUNTIME_PATH

pytestmark = pytest.mark.slow
# What the catalog job uses of the Glue 5.0 runtime's own modules, at the versions Glue ships where documented.
GLUE_RUNTIME_MODULES = ("boto3==1.34.131", "requests", "tenacity==9.0.0")
TOKEN = "wheel-test-catalog-token"
BUCKET = "northwind-data-lake-wheel-test"


@pytest.fixture(scope="module")
def glue_like_environment(tmp_path_factory) -> Path:
    """A clean virtual environment with the wheel, its pinned modules and Glue's own, as a Glue job has them."""
    root = tmp_path_factory.mktemp("glue-venv")
    wheel, _ = built_etl_wheel(root / "build")
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True)
    python = root / "venv" / "bin" / "python"
    subprocess.run(
        [
            str(python),
            *("-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)),
            *GLUE_RUNTIME_MODULES,
            *additional_python_modules(),
        ],
        check=True,
        capture_output=True,
    )
    return python


@pytest.fixture(scope="module")
def aws_on_loopback():
    """moto's server on a loopback port: the installed job reaches it through AWS_ENDPOINT_URL."""
    from moto.server import ThreadedMotoServer

    # Port 0: the server binds a port the system chooses, so no other process can take it first (a port taken
    # between choosing and binding would leave start() waiting forever for a server thread that died).
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _environment(endpoint: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return {
        **keep,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "PYTHONPATH": str(GLUE_RUNTIME_PATH),
    }


def test_the_installed_wheel_carries_its_contracts_and_migrations(glue_like_environment, tmp_path):
    code = (
        "import etl; from etl.contracts import all_contracts; from etl.serve.migrate import discover\n"
        "print(etl.__file__); print(len(all_contracts()), len(discover()))"
    )
    result = subprocess.run([str(glue_like_environment), "-c", code], cwd=tmp_path, capture_output=True, text=True)
    location, counts = result.stdout.split()[0], result.stdout.split()[1:]
    assert "site-packages" in location, result.stderr
    # Every migration of the source tree ships in the wheel.
    assert counts == ["7", str(len(discover()))]


def test_the_catalog_job_runs_from_the_installed_wheel_and_lands_every_page(
    glue_like_environment, aws_on_loopback, northwind_sample_dir, tmp_path
):
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-2")
    s3 = session.client("s3", endpoint_url=aws_on_loopback)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    kms = session.client("kms", endpoint_url=aws_on_loopback).create_key()["KeyMetadata"]
    secrets = session.client("secretsmanager", endpoint_url=aws_on_loopback)
    token_arn = secrets.create_secret(Name="northwind-test/catalog-token", SecretString=TOKEN)["ARN"]

    with LocalCatalogApi(northwind_sample_dir, TOKEN) as api:
        result = subprocess.run(
            [
                str(glue_like_environment),
                *("-m", "etl.jobs.ingest_catalog", "--JOB_RUN_ID", "jr_wheel"),
                *("--run_date", "2026-11-30", "--catalog_base_url", api.base_url),
                *("--catalog_token_secret_id", token_arn, "--lake_bucket", BUCKET, "--lake_kms_key_id", kms["Arn"]),
            ],
            cwd=tmp_path,
            env=_environment(aws_on_loopback),
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert result.returncode == 0, result.stderr[-2000:]
    prefix = f"raw/products/date={date(2026, 11, 30).isoformat()}/"
    landed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    assert landed and all(
        s3.head_object(Bucket=BUCKET, Key=o["Key"])["ServerSideEncryption"] == "aws:kms" for o in landed
    )


def test_the_installed_job_without_its_run_date_fails_with_one_line(glue_like_environment, aws_on_loopback, tmp_path):
    result = subprocess.run(
        [str(glue_like_environment), "-m", "etl.jobs.ingest_catalog", "--lake_bucket", BUCKET],
        cwd=tmp_path,
        env=_environment(aws_on_loopback),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "ingest_catalog: missing job argument(s): --run_date (the day the pages land under, YYYY-MM-DD), "
        "--catalog_base_url (the catalog API's base URL), --catalog_token_secret_id (the Secrets Manager id of "
        "the catalog API's bearer token), --lake_kms_key_id (the lake KMS key every write is encrypted with)"
    ]
