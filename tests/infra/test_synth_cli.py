"""The main job's command line: user mistakes end in one clear line and a usage exit code, no trace."""

from __future__ import annotations

import shutil

from typer.testing import CliRunner

from environments import DEFINITIONS_DIR
from scripts.synth import app

runner = CliRunner()


def test_a_wrong_environment_name_is_one_line_naming_the_choices():
    result = runner.invoke(app, ["--env", "prd"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: unknown environment 'prd'; choose one of: delivery, dev, prod, stage"
    assert "Traceback" not in result.output


def test_a_malformed_definition_names_the_file_and_field(tmp_path):
    for path in DEFINITIONS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    broken = (tmp_path / "stage.yaml").read_text().replace('account_id: "222222222222"', 'account_id: "2222"')
    (tmp_path / "stage.yaml").write_text(broken)
    result = runner.invoke(app, ["--definitions", str(tmp_path)])
    assert result.exit_code == 2
    assert "stage.yaml: account_id: '2222' is not valid: String should match pattern" in result.output
    assert "Traceback" not in result.output


def test_mistakes_in_several_definitions_are_all_listed_in_one_run_with_patterns_printed_verbatim(tmp_path):
    for path in DEFINITIONS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "dev.yaml").write_text((tmp_path / "dev.yaml").read_text().replace("eu-west-2", "london", 1))
    (tmp_path / "prod.yaml").write_text((tmp_path / "prod.yaml").read_text() + "colour: blue\n")
    result = runner.invoke(app, ["--definitions", str(tmp_path)])
    assert result.exit_code == 2
    assert r"dev.yaml: region: 'london' is not valid: String should match pattern '^[a-z]{2}" in result.output
    assert "prod.yaml: colour: unknown key" in result.output


def test_a_contract_the_catalog_cannot_register_is_one_line_naming_the_field(monkeypatch, tmp_path):
    import dataclasses

    from etl.contracts import all_contracts

    contracts = all_contracts()
    by_time = dataclasses.replace(contracts["clickstream_events"], partition_by=("event_time",))
    monkeypatch.setattr("modules.platform_stack.all_contracts", lambda: {**contracts, "clickstream_events": by_time})
    result = runner.invoke(app, ["--env", "dev", "--outdir", str(tmp_path)])
    assert result.exit_code == 2
    reported = " ".join(result.output.split("==> loading")[1].splitlines()[1:])  # the console wraps long lines
    assert " ".join(reported.split()) == (
        "error: a data contract cannot be deployed: clickstream_events: partition field 'event_time' (timestamp) "
        "cannot be projected for queries; partition by a date, an integer with logicalTypeOptions minimum and "
        "maximum, or a string enum"
    )
    assert "Traceback" not in result.output
