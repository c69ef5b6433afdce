"""Bad options of ``python -m etl.pipeline`` get one clear line and a non-zero exit, before anything starts; a
Java that cannot start Spark gets one clear line, not a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

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


def test_a_java_that_cannot_start_spark_is_answered_with_one_line_saying_what_to_check(tmp_path, northwind_sample_dir):
    """A real launch in a process of its own: in this one the session already exists. JAVA_HOME names a folder
    without Java, as on a machine whose Java was removed. The working folder is one the postgres user can reach."""
    local_dir = Path(tempfile.mkdtemp(prefix="northwind-test-no-java-"))
    local_dir.chmod(0o755)
    environment = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java")}
    source = str(northwind_sample_dir)
    command = [sys.executable, "-m", "etl.pipeline", "--source", source, "--local-dir", str(local_dir)]
    try:
        result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300, check=False)
    finally:
        shutil.rmtree(local_dir, ignore_errors=True)

    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    output = " ".join(result.stdout.split())  # the console wraps long lines
    assert output.count("error:") == 1
    assert output[output.index("error:") :] == (
        "error: Spark could not start ([JAVA_GATEWAY_EXITED] Java gateway process exited before sending its port "
        "number.); the JVM's own message is above. Check that Java 17 runs (`java -version`, JAVA_HOME) and that "
        "PYSPARK_SUBMIT_ARGS and JAVA_TOOL_OPTIONS hold only valid options"
    )
