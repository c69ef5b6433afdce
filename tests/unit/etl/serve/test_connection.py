"""Serving database settings: credentials from Secrets Manager (or the local variable), the endpoint from the
job's arguments or, locally, from the secret."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from etl.serve.connection import (
    LOCAL_SECRET_ENV_VAR,
    ServingDatabaseConfigError,
    ServingDatabaseEndpoint,
    endpoint_from_arguments,
    settings_from_secret,
)

# What RDS stores in the secret it manages for the master user: credentials only.
MANAGED_SECRET = {"username": "loader", "password": "s3cr3t!"}
LOCAL_SECRET = {"host": "127.0.0.1", "port": 55432, "dbname": "local", **MANAGED_SECRET, "sslmode": "disable"}


@pytest.fixture
def secretsmanager():
    """moto's in-memory Secrets Manager stands in for AWS."""
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="eu-west-2")


def test_in_aws_the_managed_secrets_credentials_join_the_endpoint_from_the_job_arguments(secretsmanager):
    """Uses moto's in-memory Secrets Manager as the double for AWS."""
    secretsmanager.create_secret(Name="rds!db-1", SecretString=json.dumps(MANAGED_SECRET))
    endpoint = endpoint_from_arguments("db.internal", "6432", "analytics")

    settings = settings_from_secret("rds!db-1", endpoint, client=secretsmanager)

    assert (settings.host, settings.port, settings.dbname, settings.user) == (
        "db.internal",
        6432,
        "analytics",
        "loader",
    )
    # Verified by default; a job passes the RDS bundle (ca_bundle) and the settings carry it to libpq.
    assert settings.sslmode == "verify-full"
    bundled = settings_from_secret("rds!db-1", endpoint, client=secretsmanager, ca_bundle="/tmp/rds-bundle.pem")
    assert "sslmode=verify-full" in bundled.conninfo() and "sslrootcert=/tmp/rds-bundle.pem" in bundled.conninfo()
    assert "password=s3cr3t!" in settings.conninfo()
    assert "s3cr3t" not in repr(settings)


def test_the_endpoint_defaults_to_port_5432_and_the_northwind_database():
    assert endpoint_from_arguments("db.internal") == ServingDatabaseEndpoint(
        host="db.internal", port=5432, dbname="northwind"
    )


def test_the_job_arguments_endpoint_wins_over_a_host_in_the_secret(secretsmanager):
    """Uses moto's in-memory Secrets Manager as the double for AWS."""
    secretsmanager.create_secret(Name="serving-db", SecretString=json.dumps(LOCAL_SECRET))

    settings = settings_from_secret("serving-db", endpoint_from_arguments("db.internal"), client=secretsmanager)

    assert (settings.host, settings.port, settings.dbname) == ("db.internal", 5432, "northwind")


def test_locally_a_secret_carrying_host_and_port_is_used_as_it_is(monkeypatch):
    monkeypatch.setenv(LOCAL_SECRET_ENV_VAR, json.dumps(LOCAL_SECRET))

    settings = settings_from_secret(None)

    assert (settings.host, settings.port, settings.dbname, settings.sslmode) == ("127.0.0.1", 55432, "local", "disable")


def test_without_a_host_in_the_secret_or_the_arguments_the_error_says_to_pass_the_host(secretsmanager):
    """Uses moto's in-memory Secrets Manager as the double for AWS."""
    secretsmanager.create_secret(Name="rds!db-1", SecretString=json.dumps(MANAGED_SECRET))

    with pytest.raises(ServingDatabaseConfigError, match=r"no host for the serving database.*--serving_db_host"):
        settings_from_secret("rds!db-1", endpoint_from_arguments(None), client=secretsmanager)


@pytest.mark.parametrize(
    ("port", "dbname", "problem"),
    [("none", None, "port: Input should be a valid integer"), ("70000", None, "port: Input should be less than")],
)
def test_a_bad_port_argument_is_a_clear_error_naming_the_argument(port, dbname, problem):
    with pytest.raises(ServingDatabaseConfigError, match=f"{problem}.*--serving_db_port"):
        endpoint_from_arguments("db.internal", port, dbname)


@pytest.mark.parametrize(("port", "dbname"), [("6432", None), (None, "analytics")])
def test_a_port_or_database_name_without_a_host_is_an_error_not_ignored(port, dbname):
    with pytest.raises(ServingDatabaseConfigError, match="need --serving_db_host"):
        endpoint_from_arguments(None, port, dbname)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("password=s3cr3t!", "not a JSON object"),
        (json.dumps(["s3cr3t!"]), "not a JSON object"),
        (json.dumps({"host": "db.internal", "password": "s3cr3t!"}), "username: Field required"),
        (json.dumps({**LOCAL_SECRET, "port": "s3cr3t!"}), "port: Input should be a valid integer"),
    ],
)
def test_an_unusable_secret_is_a_clear_error_that_never_repeats_its_value(monkeypatch, value, problem):
    monkeypatch.setenv(LOCAL_SECRET_ENV_VAR, value)

    with pytest.raises(ServingDatabaseConfigError, match=problem) as error:
        settings_from_secret(None)
    assert "s3cr3t" not in str(error.value)
