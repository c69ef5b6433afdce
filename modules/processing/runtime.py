"""What the Glue 5.0 runtime provides, and what the jobs need on top of it, pinned to Pipfile.lock.

Glue 5.0 runs Python 3.11 and Spark 3.5.4 and preinstalls boto3, pandas, pyarrow, requests and tenacity among
others (``GLUE_PROVIDED``); the jobs use those as Glue ships them. Every other distribution the entry scripts
import (``JOB_DISTRIBUTIONS``, checked by tests/infra/test_processing.py against what the scripts really import)
is installed through ``--additional-python-modules`` at the version the lock file pins.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

GLUE_VERSION = "5.0"
PYTHON_VERSION = "3"
LOCK_FILE = Path(__file__).resolve().parents[2] / "Pipfile.lock"

# Python distributions the Glue 5.0 Spark runtime provides (docs: "Python modules already provided in AWS Glue").
GLUE_PROVIDED = frozenset(
    {
        "boto3",
        "botocore",
        "certifi",
        "charset-normalizer",
        "idna",
        "jmespath",
        "numpy",
        "pandas",
        "py4j",
        "pyarrow",
        "pyspark",
        "python-dateutil",
        "pytz",
        "requests",
        "s3transfer",
        "six",
        "tenacity",
        "tzdata",
        "urllib3",
    }
)
# What the entry scripts import beyond the standard library and GLUE_PROVIDED, with everything those require.
JOB_DISTRIBUTIONS = (
    "annotated-types",
    "open-data-contract-standard",
    "psycopg",
    "psycopg-binary",
    "pybreaker",
    "pydantic",
    "pydantic-core",
    "pyrate-limiter",
    "pyyaml",
    "typing-extensions",
    "typing-inspection",
)


class LockFileError(ValueError):
    """A distribution the jobs need has no pinned version in the lock file."""


@cache
def locked_versions(lock_file: Path = LOCK_FILE) -> dict[str, str]:
    """Distribution -> exact version of the lock file's default (runtime) packages."""
    packages = json.loads(lock_file.read_text(encoding="utf-8"))["default"]
    return {name: entry["version"].removeprefix("==") for name, entry in packages.items() if "version" in entry}


def additional_python_modules(lock_file: Path = LOCK_FILE) -> tuple[str, ...]:
    """``name==version`` for every distribution in ``JOB_DISTRIBUTIONS``, versions from the lock file."""
    versions = locked_versions(lock_file)
    missing = [name for name in JOB_DISTRIBUTIONS if name not in versions]
    if missing:
        raise LockFileError(
            f"{lock_file.name} pins no version of {', '.join(missing)}; add them to the Pipfile and run pipenv lock"
        )
    return tuple(f"{name}=={versions[name]}" for name in JOB_DISTRIBUTIONS)
