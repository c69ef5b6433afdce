"""Content-hashed build artifacts: the ``etl`` wheel and job scripts the Glue jobs run, and the analytics
service's wheelhouse (docs/adr/0050-etl-wheel-and-content-hashed-artifacts.md).

A key holds a hash of exactly what went into the artifact, so a change of code or pins is a new key and the
previous release stays where it was: rolling back is applying the previous commit. Hashing reads the sources
only (milliseconds); the wheel is built once per content hash and reused by every later synth.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ETL_PACKAGE = REPO_ROOT / "etl"
API_PACKAGE = REPO_ROOT / "api"
BUILD_CACHE = REPO_ROOT / "dist" / "etl"
HASH_LENGTH = 16
# The earliest time a zip entry can carry: every build of the same sources gets the same bytes, so a synth in a
# fresh clone (the delivery pipeline's) uploads nothing new and `cdktf diff` shows no change for the wheel.
REPRODUCIBLE_BUILD_EPOCH = "315532800"
# What the package's wheel is built from (pyproject.toml decides what goes in).
_PACKAGE_SUFFIXES = (".py", ".yaml", ".sql", ".csv", ".md", ".toml")


class ArtifactBuildError(RuntimeError):
    """An artifact could not be built; the message carries the builder's last line."""


def _package_files(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and path.suffix in _PACKAGE_SUFFIXES
        and "__pycache__" not in path.parts
        and not any(part.endswith(".egg-info") or part == "build" for part in path.relative_to(root).parts)
    )


def content_hash(files: Iterable[Path], base: Path, extra: bytes = b"") -> str:
    """SHA-256 over each file's path (relative to ``base``) and bytes, and ``extra``; the first 16 hex digits."""
    digest = hashlib.sha256(extra)
    for path in files:
        digest.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:HASH_LENGTH]


def etl_package_hash() -> str:
    """The hash of the ``etl`` wheel's inputs: the package's files and ``pyproject.toml``."""
    return content_hash([*_package_files(ETL_PACKAGE), REPO_ROOT / "pyproject.toml"], REPO_ROOT)


def file_hash(path: Path) -> str:
    """The hash of one file (a job entry script)."""
    return content_hash([path], path.parent)


def service_wheelhouse_hash(lock_file: Path = REPO_ROOT / "Pipfile.lock") -> str:
    """The hash of the analytics service's wheelhouse inputs: ``api/`` and the lock's runtime pins."""
    pins = json.dumps(json.loads(lock_file.read_text(encoding="utf-8"))["default"], sort_keys=True).encode()
    return content_hash(_package_files(API_PACKAGE), REPO_ROOT, extra=pins)


def wheelhouse_prefix(package: str, version: str, wheelhouse_hash: str) -> str:
    """``services/<package>/<version>/<hash>/``: where a service release's wheelhouse lives, one folder per
    release and content."""
    return f"services/{package}/{version}/{wheelhouse_hash}/"


def built_etl_wheel(cache: Path = BUILD_CACHE) -> tuple[Path, str]:
    """The ``etl`` wheel for the current sources and its content hash, built on first use.

    The build runs in a scratch copy (the source tree stays clean) and lands by rename, so concurrent synths
    never see half a wheel.
    """
    package_hash = etl_package_hash()
    target = cache / package_hash
    wheels = sorted(target.glob("*.whl")) if target.is_dir() else []
    if wheels:
        return wheels[0], package_hash
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="etl-wheel-", dir=cache) as scratch:
        source = Path(scratch) / "source"
        source.mkdir()
        shutil.copy2(REPO_ROOT / "pyproject.toml", source / "pyproject.toml")
        shutil.copytree(ETL_PACKAGE, source / "etl", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for path in source.rglob("*"):  # a checkout's umask must not reach the wheel's entries
            path.chmod(0o755 if path.is_dir() else 0o644)
        out = Path(scratch) / "wheel"
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), "."],
            cwd=source,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "SOURCE_DATE_EPOCH": REPRODUCIBLE_BUILD_EPOCH},
        )
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
            raise ArtifactBuildError(f"building the etl wheel failed: {lines[-1]}")
        try:
            out.rename(target)
        except OSError:
            if not any(target.glob("*.whl")):  # another process landed the same hash first: use it
                raise
    return sorted(target.glob("*.whl"))[0], package_hash
