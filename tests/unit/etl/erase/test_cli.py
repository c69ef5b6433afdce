"""``python -m etl.erase``: one customer out of a local lake, a summary, and one-line errors for bad input."""

from __future__ import annotations

import json
from datetime import date

from typer.testing import CliRunner

from etl.erase.__main__ import app
from etl.ingest.landing import land_file
from etl.ingest.rows import FileCount
from etl.lake import LocalLakeStore

CUSTOMERS = b"customerID,companyName\nALFKI,Alfreds Futterkiste\nANATR,Ana Trujillo\n"


def test_the_command_erases_the_customer_and_prints_what_it_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("NORTHWIND_PSEUDONYM_KEY", "unit-test-key")
    store = LocalLakeStore(tmp_path)
    land_file(store, "customers", date(2026, 11, 29), "customers.csv", CUSTOMERS, FileCount(2))

    result = CliRunner().invoke(
        app,
        ["--customer-id", "ALFKI", "--request-id", "REQ-7", "--requested-by", "ticket REQ-7", "--lake", str(tmp_path)],
    )

    assert result.exit_code == 0, result.output
    assert "raw/customers" in result.output and "erased 1 lake record(s) and 0 serving row(s)" in result.output
    assert (
        store.get_bytes("raw/customers/date=2026-11-29/customers.csv")
        == b"customerID,companyName\nANATR,Ana Trujillo\n"
    )
    (audit,) = store.list_keys("reports/erasure/")
    record = json.loads(store.get_bytes(audit))
    assert (record["status"], record["request_id"]) == ("completed", "REQ-7")
    assert "ALFKI" not in store.get_bytes(audit).decode()


def test_a_customer_id_the_contract_refuses_or_a_missing_lake_is_one_line_and_exit_2(tmp_path):
    runner = CliRunner()
    bad_id = runner.invoke(
        app, ["--customer-id", "alf", "--request-id", "R", "--requested-by", "t", "--lake", str(tmp_path)]
    )
    assert bad_id.exit_code == 2 and "does not match the contract" in bad_id.output
    bad_request = runner.invoke(app, ["--customer-id", "ALFKI", "--request-id", "no spaces", "--requested-by", "t"])
    assert bad_request.exit_code == 2 and "request id 'no spaces'" in bad_request.output
    no_lake = runner.invoke(
        app, ["--customer-id", "ALFKI", "--request-id", "R", "--requested-by", "t", "--lake", str(tmp_path / "none")]
    )
    assert no_lake.exit_code == 2 and "no lake at" in no_lake.output
    nobody = runner.invoke(
        app, ["--customer-id", "ALFKI", "--request-id", "R", "--requested-by", " ", "--lake", str(tmp_path)]
    )
    assert nobody.exit_code == 2 and "requested_by" in nobody.output
