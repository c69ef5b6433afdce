"""The API key: read from Secrets Manager (moto) or the local variable, and never written or logged."""

from __future__ import annotations

import logging
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from etl.enrich.vehicle_valuation.cli import main
from etl.enrich.vehicle_valuation.validation import validate_lookup
from tests.support.rapidapi_stub import RapidApiStub, Reply

from .conftest import API_KEY


def test_the_key_never_appears_in_logs_files_messages_or_reprs(open_enricher, stub, lake, tmp_path, caplog):
    stub.script_plate("1AAA111", Reply.rate_limited(), Reply.server_error(), Reply.malformed())
    stub.script_plate("2BBB222", Reply.slow(1.0))
    stub.script_plate("3CCC333", Reply.not_found())
    requests = [validate_lookup(plate, "CA") for plate in ("1AAA111", "2BBB222", "3CCC333", "4DDD444")]

    with caplog.at_level(logging.DEBUG):
        enricher = open_enricher(read_timeout_s=0.3)
        summary = enricher.run(requests)
        refused = open_enricher(api_key="not-the-key").run([validate_lookup("5EEE555", "CA")])
        repeated = open_enricher().run(requests)

    assert refused.stop_message
    texts = [caplog.text, repr(enricher), repr(summary), repr(repeated), refused.stop_message]
    texts += [result.message or "" for result in summary.results]
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert {"raw", "_audit"} <= {part for path in written for part in path.parts}
    texts += [path.read_text(encoding="utf-8") for path in written]
    assert [call.plate for call in stub.calls if not call.key_accepted] == ["5EEE555"]
    assert not [text for text in texts if API_KEY in text]


@pytest.fixture
def aws_without_local_key(monkeypatch):
    """moto's in-process Secrets Manager, and no local key variable to fall back on."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("RAPIDAPI_KEY", raising=False)
    with mock_aws():
        yield boto3.client("secretsmanager")


def run_one_plate(tmp_path: Path, stub: RapidApiStub, secret_id: str | None) -> int:
    plates = tmp_path / "plates.csv"
    plates.write_text("7ABC123,CA\n", encoding="utf-8")
    arguments = ["--plates", str(plates), "--lake", str(tmp_path / "lake"), "--budget", "1", "--base-url"]
    return main([*arguments, stub.base_url, *(["--secret-id", secret_id] if secret_id else [])])


def test_the_cli_reads_the_key_from_secrets_manager(tmp_path, aws_without_local_key, stub, capsys):
    """Secrets Manager is moto's in-process double of AWS."""
    aws_without_local_key.create_secret(Name="northwind-dev/rapidapi", SecretString=API_KEY)

    code = run_one_plate(tmp_path, stub, "northwind-dev/rapidapi")

    assert code == 0
    assert [call.key_accepted for call in stub.calls] == [True]
    assert API_KEY not in capsys.readouterr().out


@pytest.mark.parametrize("secret_id", [None, "northwind-dev/missing"])
def test_a_missing_key_is_one_line_and_exit_2_with_no_call(tmp_path, aws_without_local_key, stub, capsys, secret_id):
    """Secrets Manager is moto's in-process double of AWS."""
    code = run_one_plate(tmp_path, stub, secret_id)

    assert code == 2
    stderr = capsys.readouterr().err.strip()
    assert stderr.startswith("error: cannot read the API key")
    assert len(stderr.splitlines()) == 1
    assert stub.calls == []
