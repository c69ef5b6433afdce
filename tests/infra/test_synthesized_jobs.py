"""One code path, proven: every synthesized ``aws_glue_job`` runs here as the stack defines it.

For each job of the synthesized dev stack, the test takes the script the stack uploads (the ``aws_s3_object`` at
the job's ``script_location``, read from its asset in the synthesized output), the job's ``default_arguments``
and the arguments each pipeline step passes (from the state machines' definitions), exactly as synthesized, and
runs the script's ``__main__`` block. Terraform references (``${...}``) resolve to local stand-ins of the
resources they name; a reference to anything else fails the test, so a job whose script path, arguments or
imports drift from the stack fails here.

Stand-ins (only for what cannot run here): ``tests/support/glue_runtime`` for the Glue runtime; moto's in-process
double for Secrets Manager, CloudWatch and the RDS token signer; a local folder behind the lake bucket (local Spark
cannot read S3); the local catalog API for the catalog's URL; a loopback HTTPS server for AWS's RDS truststore,
serving the local server's certificate authority as the region's bundle. PostgreSQL is the real local server,
over TLS the jobs verify (``verify-full``).
"""

from __future__ import annotations

import json
import re
import runpy
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import boto3
import psycopg
import pytest
from moto import mock_aws

from etl import lake
from etl.erase import objects as erase_objects
from etl.erase.objects import StoreObjects
from etl.ingest.clickstream import ingest_clickstream
from etl.ingest.market import ingest_market_drop
from etl.ingest.orders import OrdersMode, ingest_orders_export
from etl.jobs.erase_customer import request_key
from etl.jobs.ingest_vehicle_valuations import PLATES_KEY
from etl.lake import LocalLakeStore
from etl.localdev.catalog_api import LocalCatalogApi
from etl.pipeline import PipelineConfig, prepare_sources
from tests.support.glue_runtime import GLUE_RUNTIME_PATH
from tests.support.postgres import postgres_database, postgres_server
from tests.support.rapidapi_stub import RapidApiStub
from tests.support.truststore import LocalTruststore

__all__ = ["postgres_database", "postgres_server"]
pytestmark = pytest.mark.slow

REFERENCE = re.compile(r"\$\{([a-z0-9_]+)\.([^.}]+)\.([^}]+)\}")
SCHEDULED_TIME = "2026-11-30T01:00:00Z"
RUN_DATE = date(2026, 11, 30)
PSEUDONYM_KEY = "synthesized-jobs-test-key"
JOBS_DIR = Path(__file__).resolve().parents[2] / "etl" / "jobs"
CATALOG_TOKEN = "synthesized-jobs-catalog-token"
RAPIDAPI_KEY = "synthesized-jobs-rapidapi-key"


@dataclass
class LocalResources:
    """What each referenced resource is here, and the environment settings that name places outside (the
    catalog API's URL)."""

    stack: object
    values: dict[tuple[str, str], str]
    settings: dict[str, str]

    def resolve(self, text: str) -> str:
        def one(match: re.Match) -> str:
            resource_type, name, attribute = match.groups()
            if resource_type == "aws_secretsmanager_secret" and attribute == "arn":
                return self.values[("secret", self.stack.resources(resource_type)[name]["name"])]
            key = (resource_type, attribute)
            if key not in self.values:
                pytest.fail(f"no local stand-in for {match.group(0)}: a job argument drifted to another resource")
            return self.values[key]

        return REFERENCE.sub(one, text)


def _lake_bucket_name(stack) -> str:
    (bucket,) = [b["bucket"] for b in stack.resources("aws_s3_bucket").values() if "data-lake" in b["bucket"]]
    return bucket


def _script(stack, job: dict) -> Path:
    """The script the stack uploads to the job's script location (its asset in the synthesized output).

    It is run from its place in ``etl/jobs/`` once its bytes are checked to be the upload's, so coverage counts
    the entry scripts.
    """
    key = job["command"]["script_location"].split("}/", 1)[1]
    (upload,) = [o for o in stack.resources("aws_s3_object").values() if o["key"] == key]
    asset = stack.path.parent / upload["source"]
    assert asset.is_file(), f"{job['name']}: the uploaded script {upload['source']} is not in the synthesized output"
    source = JOBS_DIR / asset.name
    assert source.read_bytes() == asset.read_bytes(), f"{job['name']}: the uploaded script is not {source}"
    return source


def _steps(stack) -> list[tuple[str, dict]]:
    """(job name, arguments) of every pipeline step, ingest steps first, then curation, then serving loads."""
    steps = []
    for machine in stack.resources("aws_sfn_state_machine").values():
        states = json.loads(machine["definition"])["States"]
        run_date_expression = states["RunDateFromSchedule"]["Parameters"]["run_date.$"]
        assert run_date_expression == "States.ArrayGetItem(States.StringSplit($.scheduled_time, 'T'), 0)"
        run_date = SCHEDULED_TIME.split("T")[0]
        for state in states.values():
            if state["Type"] != "Task":
                continue
            arguments = {
                key.removesuffix(".$"): (run_date if value == "$.run_date" else value)
                for key, value in state["Parameters"]["Arguments"].items()
            }
            steps.append((state["Parameters"]["JobName"], arguments))
    order = {"ingest": 0, "curate": 1, "serve": 2}
    return sorted(steps, key=lambda step: next(v for k, v in order.items() if k in step[0]))


def _run(resources: LocalResources, job: dict, run_arguments: dict[str, str], monkeypatch) -> None:
    script = _script(resources.stack, job)
    arguments = {**job["default_arguments"], **run_arguments}
    argv = [str(script), "--JOB_ID", "j_test", "--JOB_RUN_ID", "jr_test"]
    for key, value in arguments.items():
        argv += [key, resources.settings.get(key) or resources.resolve(value)]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(script), run_name="__main__")


def _lake_stand_in(expected_bucket: str, expected_key: str, root: Path):
    """Behind the lake bucket the jobs name: a local folder, after checking the bucket and key they were given."""

    def stand_in(bucket: str, kms_key_id: str, client: object) -> LocalLakeStore:
        assert (bucket, kms_key_id) == (expected_bucket, expected_key), "the job was wired to another bucket or key"
        return LocalLakeStore(root)

    return stand_in


def _objects_stand_in(expected_bucket: str, expected_key: str, root: Path):
    """Behind every version of the lake bucket the erasure job names: the same local folder."""

    def stand_in(bucket: str, kms_key_id: str, client: object, writes: bool = True) -> StoreObjects:
        assert (bucket, kms_key_id) == (expected_bucket, expected_key), "the job was wired to another bucket or key"
        return StoreObjects(LocalLakeStore(root), writes=writes)

    return stand_in


def _land_sources(root: Path, tmp_path: Path) -> None:
    """What the partners deliver (orders export, clickstream, market drop), landed by the landing code."""
    config = PipelineConfig(
        lake=root,
        source=Path(__file__).resolve().parents[2] / "etl" / "samples" / "northwind",
        local_dir=tmp_path / "local",
        run_date=RUN_DATE,
        clickstream_events=300,
        clickstream_days=1,
    )
    clickstream_dir, drop_dir = prepare_sources(config)
    store = LocalLakeStore(root)
    ingest_orders_export(store, config.source, RUN_DATE, OrdersMode.BATCH)
    ingest_clickstream(store, clickstream_dir, RUN_DATE)
    ingest_market_drop(store, drop_dir, RUN_DATE)
    # The plates the asset team asks the valuation job to value.
    store.put_bytes(PLATES_KEY, b"plate,state\n7ABC123,CA\nXYZ987,TX\n")


@mock_aws
def test_every_synthesized_job_runs_its_script_with_its_synthesized_arguments(
    synthesized, environments, spark, postgres_database, tmp_path, monkeypatch
):
    stack = synthesized["dev"]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    monkeypatch.syspath_prepend(str(GLUE_RUNTIME_PATH))
    lake_root = tmp_path / "lake"
    _land_sources(lake_root, tmp_path)
    kms_key = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
    secrets = boto3.client("secretsmanager")
    owner = json.dumps({"username": postgres_database.user, "password": "unused"})
    values = {
        ("aws_s3_bucket", "bucket"): _lake_bucket_name(stack),
        ("aws_kms_key", "arn"): kms_key,
        ("aws_db_instance", "address"): postgres_database.host,
        ("aws_db_instance", "port"): str(postgres_database.port),
        ("aws_db_instance", "db_name"): postgres_database.dbname,
        ("aws_db_instance", "master_user_secret[0].secret_arn"): secrets.create_secret(
            Name="rds!db-test", SecretString=owner
        )["ARN"],
    }
    for name, value in (("pseudonym-key", PSEUDONYM_KEY), ("catalog-token", CATALOG_TOKEN), ("rapidapi", RAPIDAPI_KEY)):
        full = f"{stack.name}/{name}"
        values[("secret", full)] = secrets.create_secret(Name=full, SecretString=value)["ARN"]
    monkeypatch.setattr(lake, "S3LakeStore", _lake_stand_in(values[("aws_s3_bucket", "bucket")], kms_key, lake_root))
    monkeypatch.setattr(
        erase_objects, "S3Objects", _objects_stand_in(values[("aws_s3_bucket", "bucket")], kms_key, lake_root)
    )
    # State machine steps name their job by reference, the bootstrap job is started by its name.
    jobs = {f"${{aws_glue_job.{address}.name}}": job for address, job in stack.resources("aws_glue_job").items()}
    bootstrap = next(job for job in jobs.values() if job["name"] == f"{stack.name}-bootstrap-serving")
    source = Path(__file__).resolve().parents[2] / "etl" / "samples" / "northwind"

    # Every job logging in to the database verifies it against the region's RDS bundle, from the database construct.
    env_region = environments["dev"].region
    for job in (j for j in jobs.values() if "--serving_db_host" in j["default_arguments"]):
        assert job["default_arguments"]["--serving_db_ca_bundle_url"] == (
            f"https://truststore.pki.rds.amazonaws.com/{env_region}/{env_region}-bundle.pem"
        )
    bundle = {f"/{env_region}/{env_region}-bundle.pem": Path(postgres_database.sslrootcert).read_text()}

    with (
        LocalCatalogApi(source, CATALOG_TOKEN) as api,
        RapidApiStub(api_key=RAPIDAPI_KEY) as valuations,
        LocalTruststore(bundle) as truststore,
    ):
        monkeypatch.setenv("SSL_CERT_FILE", str(truststore.ca_certificate))
        # The APIs' addresses are settings and the truststore AWS's, not resources: local servers stand in for them.
        stand_ins = {
            "--catalog_base_url": api.base_url,
            "--valuation_base_url": valuations.base_url,
            "--serving_db_ca_bundle_url": truststore.region_url(env_region),
        }
        resources = LocalResources(stack, values, stand_ins)
        _run(resources, bootstrap, {}, monkeypatch)
        ran = {bootstrap["name"]}
        for job_reference, arguments in _steps(stack):
            _run(resources, jobs[job_reference], arguments, monkeypatch)
            ran.add(jobs[job_reference]["name"])
        # The erasure job is started by hand, by name, for a request written to the lake first.
        erasure = next(job for job in jobs.values() if job["name"] == f"{stack.name}-erase-customer")
        request = {"customer_id": "ALFKI", "requested_by": "privacy ticket REQ-TEST-1"}
        LocalLakeStore(lake_root).put_bytes(request_key("REQ-TEST-1"), json.dumps(request).encode())
        _run(resources, erasure, {"--request_id": "REQ-TEST-1"}, monkeypatch)
        ran.add(erasure["name"])

    assert ran == {job["name"] for job in jobs.values()}
    store = LocalLakeStore(lake_root)
    for dataset in ("orders", "order_lines", "customers", "products", "clickstream_events", "market_indicators"):
        assert store.exists(f"reports/freshness/{dataset}.json"), f"{dataset} was not curated"
    (audit,) = store.list_keys("reports/erasure/date=")
    assert json.loads(store.get_bytes(audit))["status"] == "completed"
    assert not store.exists(request_key("REQ-TEST-1"))
    # Valuations land under the day they were requested (today), for the next curation within its lookback.
    assert len([k for k in store.list_keys("raw/vehicle_valuations/date=") if k.endswith(".json")]) == 2
    with psycopg.connect(postgres_database.conninfo()) as connection:
        sales = connection.execute("SELECT count(*) FROM serving.daily_sales").fetchone()[0]
        funnel = connection.execute("SELECT count(*) FROM serving.clickstream_funnel_daily").fetchone()[0]
    assert sales > 0 and funnel > 0
    metrics = boto3.client("cloudwatch").list_metrics(Namespace="Northwind/Pipeline")["Metrics"]
    assert {"FreshnessHours", "RowsCurated", "DatasetsWithinSlaPercent"} <= {m["MetricName"] for m in metrics}
    assert {"ValuationCalls", "ValuationCallsThisMonth", "ValuationEstimatedCostUsdThisMonth"} <= {
        m["MetricName"] for m in metrics
    }


def test_a_job_started_without_its_run_date_fails_with_one_line(synthesized, monkeypatch, capsys):
    stack = synthesized["dev"]
    monkeypatch.syspath_prepend(str(GLUE_RUNTIME_PATH))
    (job,) = [j for j in stack.resources("aws_glue_job").values() if j["name"].endswith("-curate")]
    script = _script(stack, job)
    argv = [str(script)]
    for key, value in job["default_arguments"].items():
        argv += [key, value]
    monkeypatch.setattr(sys, "argv", argv)

    with pytest.raises(SystemExit) as ended:
        runpy.run_path(str(script), run_name="__main__")

    assert str(ended.value) == "curate: missing job argument(s): --run_date (the day to curate, YYYY-MM-DD)"
