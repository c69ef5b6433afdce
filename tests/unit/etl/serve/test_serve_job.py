"""The serving job's entry script: arguments parsed once, the load logs in as its own role with an IAM token,
and the bootstrap job applies the migrations as the owner first."""

from __future__ import annotations

import json

import boto3
import psycopg
import pytest
from moto import mock_aws

from etl.jobs import JobArgumentError
from etl.jobs.bootstrap_serving import BootstrapJobArgs
from etl.jobs.bootstrap_serving import main as bootstrap
from etl.jobs.serve import ServeJobArgs, main
from etl.serve.connection import ServingDatabaseConfigError, ServingDatabaseEndpoint
from etl.serve.login import ServingLoginError

ARGS = {
    "lake_bucket": "lake",
    "lake_kms_key_id": "key",
    "serving_db_host": "db.internal",
    "serving_db_port": "5432",
    "serving_db_name": "northwind",
    "serving_db_user": "serving_load",
    "serving_db_ca_bundle_url": "https://truststore.pki.rds.amazonaws.com/eu-west-2/eu-west-2-bundle.pem",
}


def _endpoint(database, truststore) -> dict[str, str]:
    """The local server's address, and the stand-in truststore's bundle for it."""
    return {
        "serving_db_host": database.host,
        "serving_db_port": str(database.port),
        "serving_db_name": database.dbname,
        "serving_db_ca_bundle_url": truststore.region_url("eu-west-2"),
    }


def test_the_endpoint_arguments_are_parsed_once():
    args = ServeJobArgs.parse(ARGS)

    assert args.serving_db_endpoint == ServingDatabaseEndpoint(host="db.internal", port=5432, dbname="northwind")
    assert (args.serving_db_user, args.datasets) == ("serving_load", ())


def test_a_malformed_port_argument_stops_the_job_before_any_work():
    with pytest.raises(ServingDatabaseConfigError, match="--serving_db_port"):
        ServeJobArgs.parse({**ARGS, "serving_db_port": "fifty"})


def test_datasets_that_feed_no_serving_table_are_refused():
    with pytest.raises(JobArgumentError, match="feeds no serving table"):
        ServeJobArgs.parse({**ARGS, "datasets": "vehicle_registrations"})


@mock_aws
def test_the_load_logs_in_as_its_own_role_after_the_bootstrap_created_it(
    spark, curated_lake, postgres_database, truststore, monkeypatch
):
    """Secrets Manager and the RDS token signer are moto's in-process doubles (the local server trusts loopback, so
    the token is not checked); the database is the real local server, over TLS as in AWS."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    owner = {"username": postgres_database.user, "password": "unused"}
    boto3.client("secretsmanager").create_secret(Name="rds!db-1", SecretString=json.dumps(owner))
    endpoint = _endpoint(postgres_database, truststore)
    applied = bootstrap(BootstrapJobArgs.parse({"serving_db_secret_id": "rds!db-1", **endpoint}))
    assert "V005__serving_load_role.sql" in [m.file_name for m in applied]

    args = ServeJobArgs.parse({**ARGS, **endpoint, "datasets": "orders"})
    results = main(spark, args, curated_lake, boto3.client("rds"))

    with psycopg.connect(postgres_database.conninfo()) as connection:
        rows = connection.execute("SELECT count(*) FROM serving.daily_sales").fetchone()[0]
        owner_of = connection.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'daily_sales'").fetchone()
    loaded = {result.table: result.rows for result in results}
    assert loaded["serving.daily_sales"] == rows > 0
    # Only the tables built from orders: the clickstream funnel is not among them.
    assert "serving.clickstream_funnel_daily" not in loaded
    assert owner_of == ("serving_load",)


@mock_aws
def test_a_load_that_cannot_log_in_says_to_run_the_bootstrap(
    spark, curated_lake, postgres_database, truststore, monkeypatch
):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    args = ServeJobArgs.parse({**ARGS, **_endpoint(postgres_database, truststore), "serving_db_user": "nobody_here"})

    with pytest.raises(ServingLoginError, match="run the serving bootstrap job once") as raised:
        main(spark, args, curated_lake, boto3.client("rds"))
    assert "\n" not in str(raised.value)


@mock_aws
def test_neither_job_sends_a_credential_to_a_server_the_bundle_does_not_vouch_for(
    spark, curated_lake, postgres_database, truststore, monkeypatch
):
    """Pointed at another authority's bundle, the bootstrap refuses the server before logging in with the
    owner's password, and the load before sending its token."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    boto3.client("secretsmanager").create_secret(
        Name="rds!db-1", SecretString=json.dumps({"username": postgres_database.user, "password": "unused"})
    )
    impostor = {
        **_endpoint(postgres_database, truststore),
        "serving_db_ca_bundle_url": truststore.region_url("eu-west-1"),
    }

    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        bootstrap(BootstrapJobArgs.parse({"serving_db_secret_id": "rds!db-1", **impostor}))
    with pytest.raises(ServingLoginError, match=r"certificate verify failed.*RDS CA bundle vouches for"):
        main(spark, ServeJobArgs.parse({**ARGS, **impostor}), curated_lake, boto3.client("rds"))
