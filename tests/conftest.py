"""Fixtures shared by every kind of test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The parallel runner's workers export a terminal's size (COLUMNS=80); the commands under test size their output
# from COLUMNS, so they are given none, as a run without a terminal gives them.
for variable in ("COLUMNS", "LINES"):
    os.environ.pop(variable, None)

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from scripts.provider_bindings import import_lazily  # noqa: E402 - needs the repository on sys.path

import_lazily()  # the AWS provider bindings load as `make synth` loads them

SAMPLE_DATA = REPO_ROOT / "etl" / "samples" / "northwind"


@pytest.fixture(scope="session")
def northwind_sample_dir() -> Path:
    """The real Northwind CSV export shipped in the repository (etl/samples/northwind, Ms-PL, see its NOTICE)."""
    if not SAMPLE_DATA.is_dir():
        pytest.fail(
            f"Northwind sample data not found at {SAMPLE_DATA}; restore it from git (git checkout -- {SAMPLE_DATA})"
        )
    return SAMPLE_DATA


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the whole test session, configured like the Glue 5.0 runtime."""
    from etl.spark import build_local_session

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = build_local_session(app_name="northwind-tests", shuffle_partitions=2)
    yield session
    session.stop()
