"""Setting secret values out of band (make secret-value), against moto's in-process AWS double: the stack creates
the secrets, never their values."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from modules.platform_secrets import CATALOG_TOKEN, PSEUDONYM_KEY
from scripts import set_secret
from scripts.set_secret import SecretValueError, set_value

NAME = "northwind-dev/pseudonym-key"


@pytest.fixture
def secretsmanager(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-west-2")
        for secret in (PSEUDONYM_KEY, CATALOG_TOKEN):
            client.create_secret(Name=secret.name("northwind-dev"))  # what the stack creates: no value
        yield client


def test_a_value_piped_on_standard_input_becomes_the_current_version_and_is_never_printed(secretsmanager):
    result = CliRunner().invoke(set_secret.app, ["dev", "catalog-token"], input="token-from-the-catalog-team\n")

    assert result.exit_code == 0, result.output
    stored = secretsmanager.get_secret_value(SecretId="northwind-dev/catalog-token")["SecretString"]
    assert stored == "token-from-the-catalog-team"
    assert "token-from-the-catalog-team" not in result.output
    assert "set northwind-dev/catalog-token in eu-west-2" in result.output


def test_the_pseudonymization_key_is_generated_and_not_replaced_without_being_asked(secretsmanager):
    first = CliRunner().invoke(set_secret.app, ["dev", "pseudonym-key", "--generate"])
    value = secretsmanager.get_secret_value(SecretId=NAME)["SecretString"]
    again = CliRunner().invoke(set_secret.app, ["dev", "pseudonym-key", "--generate"])

    assert first.exit_code == 0 and len(value) >= 64
    assert again.exit_code == 1
    assert "changing it changes derived data" in again.output
    assert secretsmanager.get_secret_value(SecretId=NAME)["SecretString"] == value


def test_replacing_the_pseudonymization_key_takes_replace(secretsmanager):
    set_value(secretsmanager, PSEUDONYM_KEY, NAME, "first", replace=False)
    set_value(secretsmanager, PSEUDONYM_KEY, NAME, "second", replace=True)
    assert secretsmanager.get_secret_value(SecretId=NAME)["SecretString"] == "second"


def test_a_third_party_secret_cannot_be_generated(secretsmanager):
    result = CliRunner().invoke(set_secret.app, ["dev", "catalog-token", "--generate"])
    assert result.exit_code == 1
    assert "issued by a third party" in result.output


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["dev", "rapidapi"], 1, "does not exist; deploy the environment's stack first"),
        (["dev", "vault-password"], 1, "no platform secret 'vault-password'"),
        (["qa", "rapidapi"], 2, "unknown or invalid environment 'qa'"),
    ],
)
def test_a_secret_that_cannot_be_set_is_one_clear_line(secretsmanager, arguments, code, message):
    result = CliRunner().invoke(set_secret.app, arguments, input="value\n")
    assert result.exit_code == code
    assert message in result.output


def test_an_empty_value_is_refused(secretsmanager):
    with pytest.raises(SecretValueError, match="no value given"):
        set_value(secretsmanager, CATALOG_TOKEN, "northwind-dev/catalog-token", "  \n", replace=False)
