"""Serving database settings from Secrets Manager (or the local variable)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from etl.serve.connection import LOCAL_SECRET_ENV_VAR, ServingDatabaseConfigError, settings_from_secret

SECRET = {"host": "db.internal", "port": 5432, "dbname": "northwind", "username": "loader", "password": "s3cr3t!"}


def test_settings_come_from_the_secrets_manager_secret_and_default_to_tls():
    """Uses moto's in-memory Secrets Manager as the double for AWS."""
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-west-2")
        client.create_secret(Name="serving-db", SecretString=json.dumps(SECRET))
        settings = settings_from_secret("serving-db", client=client)

    assert (settings.host, settings.port, settings.user, settings.sslmode) == ("db.internal", 5432, "loader", "require")
    assert "password=s3cr3t!" in settings.conninfo()
    assert "s3cr3t" not in repr(settings)


def test_locally_the_settings_come_from_the_environment_variable(monkeypatch):
    monkeypatch.setenv(LOCAL_SECRET_ENV_VAR, json.dumps({**SECRET, "sslmode": "disable"}))

    assert settings_from_secret(None).sslmode == "disable"


@pytest.mark.parametrize(
    ("value", "problem"),
    [("password=s3cr3t!", "not JSON"), (json.dumps({"password": "s3cr3t!"}), "host: Field required")],
)
def test_an_unusable_secret_is_a_clear_error_that_never_repeats_its_value(monkeypatch, value, problem):
    monkeypatch.setenv(LOCAL_SECRET_ENV_VAR, value)

    with pytest.raises(ServingDatabaseConfigError, match=problem) as error:
        settings_from_secret(None)
    assert "s3cr3t" not in str(error.value)
