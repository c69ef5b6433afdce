"""Conformance types raw strings per contract; zone-less timestamps are UTC; PII is keyed-HMAC pseudonymized."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from decimal import Decimal

import boto3
import pytest
from moto import mock_aws
from pyspark.sql import functions as F

from etl.contracts.formats import format_shape
from etl.curate.conform import SessionTimeZoneError, conform, require_utc_session
from etl.curate.pseudonymize import (
    KEY_ENV_VAR,
    LOCAL_DEVELOPMENT_KEY,
    hmac_sha256_hex,
    resolve_pseudonym_key,
)
from etl.secrets import SecretUnavailableError
from tests.unit.etl.curate.builders import raw_batch, widget_contract


@pytest.fixture(scope="module")
def conformed(spark):
    contract = widget_contract()
    rows = [
        {"widget_id": "1", "price": "9.999", "made_on": "2026-11-01", "seen_at": "2026-11-29 23:30:00"},
        {"widget_id": "2", "seen_at": "2026-11-30T00:30:00+01:00"},
        {"widget_id": "3", "seen_at": "2026-11-29T10:00:00.123Z", "made_on": "2026-11-01 00:00"},
    ]
    frame = conform(raw_batch(spark, contract, rows), contract)
    # Timestamps are compared as text formatted by Spark in its UTC session, not as Python local times.
    frame = frame.withColumn("seen_at_utc", F.date_format("seen_at", "yyyy-MM-dd HH:mm:ss.SSS"))
    return {row["widget_id"]: row for row in frame.collect()}


def test_a_zone_less_timestamp_is_read_as_utc(conformed):
    assert conformed[1]["seen_at_utc"] == "2026-11-29 23:30:00.000"


def test_a_timestamp_with_an_offset_is_converted_to_utc_and_dated_in_utc(conformed):
    assert conformed[2]["seen_at_utc"] == "2026-11-29 23:30:00.000"
    assert conformed[2]["seen_date"] == date(2026, 11, 29)


def test_money_is_a_decimal_rounded_to_the_contract_scale(conformed):
    assert conformed[1]["price"] == Decimal("10.00")


def test_a_date_must_have_the_contract_format_exactly(conformed):
    assert conformed[1]["made_on"] == date(2026, 11, 1)
    assert conformed[3]["made_on"] is None
    assert conformed[3]["seen_at_utc"] == "2026-11-29 10:00:00.123"


def test_curation_refuses_a_session_that_is_not_in_utc(spark):
    spark.conf.set("spark.sql.session.timeZone", "Europe/London")
    try:
        with pytest.raises(SessionTimeZoneError, match="timeZone=UTC"):
            require_utc_session(spark)
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    require_utc_session(spark)


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        ("yyyy-MM-dd HH:mm:ss.SSS", "1996-07-04 00:00:00.000", "1996-7-4 00:00:00.000"),
        ("yyyy-MM-dd", "2026-11-29", "2026-11-29T00:00"),
        ("dd/MM/yyyy", "29/11/2026", "2026-11-29"),
    ],
)
def test_a_contract_date_format_becomes_an_exact_shape(pattern, good, bad):
    assert re.match(format_shape(pattern), good)
    assert not re.match(format_shape(pattern), bad)


def test_a_date_format_with_unsupported_letters_is_rejected():
    with pytest.raises(ValueError, match=r"uses 'E'"):
        format_shape("EEE, dd MMM yyyy")


@pytest.mark.parametrize("key", [b"k", b"a-longer-key-for-pseudonyms", b"x" * 100])
def test_pseudonyms_equal_python_hmac_sha256_and_null_stays_null(spark, key):
    values = ["ALFKI", "Åkergatan 24", "", None]
    frame = spark.createDataFrame([(v,) for v in values], "value string")
    result = [row[0] for row in frame.select(hmac_sha256_hex(F.col("value"), key)).collect()]
    expected = [hmac.new(key, v.encode(), hashlib.sha256).hexdigest() if v is not None else None for v in values]
    assert result == expected


def test_an_empty_pseudonym_key_is_refused():
    with pytest.raises(ValueError, match="key is empty"):
        hmac_sha256_hex(F.col("value"), b"")


def test_the_pseudonym_key_comes_from_the_environment_locally(monkeypatch):
    monkeypatch.setenv(KEY_ENV_VAR, "from-env")
    assert resolve_pseudonym_key() == b"from-env"


def test_without_any_configured_key_local_runs_use_the_documented_development_key(monkeypatch, caplog):
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    assert resolve_pseudonym_key() == LOCAL_DEVELOPMENT_KEY
    assert "local development key" in caplog.text


@mock_aws
def test_in_aws_the_pseudonym_key_comes_from_secrets_manager_and_a_missing_secret_is_an_error(monkeypatch):
    """Secrets Manager is moto's in-process double."""
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    client = boto3.client("secretsmanager", region_name="eu-west-2")
    client.create_secret(Name="northwind/pseudonym-key", SecretString="from-secrets-manager")
    assert resolve_pseudonym_key("northwind/pseudonym-key", client) == b"from-secrets-manager"
    with pytest.raises(SecretUnavailableError, match="'northwind/missing' does not exist or has no value yet"):
        resolve_pseudonym_key("northwind/missing", client)
