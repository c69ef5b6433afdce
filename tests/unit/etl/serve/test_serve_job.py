"""The serving job's entry script: arguments parsed once, credentials from the managed secret, the endpoint from
the arguments."""

from __future__ import annotations

import json

import boto3
import psycopg
import pytest
from moto import mock_aws

from etl.jobs.serve import ServeJobArgs, main
from etl.serve.connection import ServingDatabaseConfigError, ServingDatabaseEndpoint

ARGS = {"lake_bucket": "lake", "lake_kms_key_id": "key", "serving_db_secret_id": "rds!db-1"}


def test_the_endpoint_arguments_are_parsed_once_with_their_defaults():
    args = ServeJobArgs.parse({**ARGS, "serving_db_host": "db.internal"})

    assert args.serving_db_endpoint == ServingDatabaseEndpoint(host="db.internal", port=5432, dbname="northwind")
    assert ServeJobArgs.parse(ARGS).serving_db_endpoint is None


def test_a_malformed_port_argument_stops_the_job_before_any_work():
    with pytest.raises(ServingDatabaseConfigError, match="--serving_db_port"):
        ServeJobArgs.parse({**ARGS, "serving_db_host": "db.internal", "serving_db_port": "fifty"})


@mock_aws
def test_the_job_loads_with_the_managed_secrets_credentials_at_the_host_its_arguments_name(
    spark, curated_lake, postgres_database, monkeypatch
):
    """Secrets Manager is moto's in-process double holding a secret in the RDS-managed shape (no host); the
    database is the real local server and the lake a local folder."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    # The local server has no TLS and trusts loopback, so the secret turns TLS off and its password is unused.
    credentials = {"username": postgres_database.user, "password": "unused", "sslmode": "disable"}
    boto3.client("secretsmanager").create_secret(Name="rds!db-1", SecretString=json.dumps(credentials))
    endpoint = {
        "serving_db_host": postgres_database.host,
        "serving_db_port": str(postgres_database.port),
        "serving_db_name": postgres_database.dbname,
    }

    results = main(spark, ServeJobArgs.parse({**ARGS, **endpoint}), curated_lake)

    with psycopg.connect(postgres_database.conninfo()) as connection:
        rows = connection.execute("SELECT count(*) FROM serving.daily_sales").fetchone()[0]
    assert {result.table: result.rows for result in results}["serving.daily_sales"] == rows > 0
