"""Bad options of ``python -m etl.pipeline`` get one clear line and a non-zero exit, before anything starts."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from etl.pipeline import app


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--run-date", "2026-13-01"], "error: --run-date '2026-13-01' is not a date; use YYYY-MM-DD"),
        (["--lookback-days", "-1"], "error: --lookback-days must be 0 or more, got -1"),
    ],
)
def test_a_bad_option_is_answered_with_one_line_naming_it(tmp_path, northwind_sample_dir, arguments, message):
    result = CliRunner().invoke(app, ["--source", str(northwind_sample_dir), "--local-dir", str(tmp_path), *arguments])

    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [message]


def test_a_source_folder_without_the_export_is_answered_with_one_line(tmp_path):
    result = CliRunner().invoke(app, ["--source", str(tmp_path), "--local-dir", str(tmp_path)])

    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: --source {tmp_path} has no orders.csv; point it at a Northwind export folder"
    )
