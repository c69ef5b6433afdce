"""The landing function's deployment package: the ``etl`` wheel's contents and the distributions it imports that
Lambda's Python runtime lacks, built for Lambda's platform, zipped reproducibly, keyed by a content hash.

Like the jobs' artifacts (``modules.artifacts``), the package is built once per hash and reused by every later
synth: a change of code or pins is a new key, and the previous package stays where it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from modules.artifacts import REPO_ROOT, ArtifactBuildError, built_etl_wheel, content_hash
from modules.processing.runtime import LockFileError, locked_versions

BUILD_CACHE = REPO_ROOT / "dist" / "functions"
PACKAGE_NAME = "land-arrivals.zip"
# Lambda's arm64 Python 3.11 runtime (Amazon Linux 2023, glibc 2.34) installs manylinux2014 wheels.
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.11"
# What Lambda's Python runtime provides (the AWS SDK and what it needs).
LAMBDA_PROVIDED = frozenset({"boto3", "botocore", "jmespath", "python-dateutil", "s3transfer", "six", "urllib3"})
# What the handler imports beyond the standard library and LAMBDA_PROVIDED, with everything those require.
FUNCTION_DISTRIBUTIONS = (
    "annotated-types",
    "open-data-contract-standard",
    "pydantic",
    "pydantic-core",
    "pyyaml",
    "typing-extensions",
    "typing-inspection",
)
# Fixed timestamps and modes: the same inputs give the same zip, byte for byte.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def function_pins() -> tuple[str, ...]:
    """``name==version`` of every distribution the function installs, from the lock file."""
    versions = locked_versions()
    missing = [name for name in FUNCTION_DISTRIBUTIONS if name not in versions]
    if missing:
        raise LockFileError(f"Pipfile.lock pins no version of {', '.join(missing)}; add them and run pipenv lock")
    return tuple(f"{name}=={versions[name]}" for name in FUNCTION_DISTRIBUTIONS)


def _install(pins: tuple[str, ...], wheel: Path, target: Path) -> None:
    """The pinned distributions for Lambda's platform, and the etl wheel, unpacked into ``target``."""
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile", "--target", str(target)]
    platform = ["--platform", PLATFORM, "--python-version", PYTHON_VERSION, "--implementation", "cp"]
    for arguments in ([*platform, "--only-binary=:all:", *pins], [str(wheel)]):
        result = subprocess.run(
            [*pip, *arguments],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
            raise ArtifactBuildError(f"building the landing function's package failed: {lines[-1]}")


def _packaged(path: Path) -> bool:
    # pip's record of where it installed from names this machine's paths: it is not part of the package.
    return "__pycache__" not in path.parts and path.name not in ("direct_url.json", "INSTALLER")


def _zip(folder: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and _packaged(p)):
            entry = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=_ZIP_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(entry, path.read_bytes())


def built_function_bundle(cache: Path = BUILD_CACHE) -> tuple[Path, str]:
    """The landing function's package for the current sources and pins, and its content hash, built on first
    use (in a scratch folder, landed by rename, so concurrent synths never see half a package)."""
    wheel, package_hash = built_etl_wheel()
    pins = function_pins()
    bundle_hash = content_hash(
        [], REPO_ROOT, extra=f"{package_hash}|{PLATFORM}|{PYTHON_VERSION}|{'|'.join(pins)}".encode()
    )
    target = cache / bundle_hash
    if (target / PACKAGE_NAME).is_file():
        return target / PACKAGE_NAME, bundle_hash
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="function-", dir=cache) as scratch:
        site, out = Path(scratch) / "site", Path(scratch) / "out"
        out.mkdir()
        _install(pins, wheel, site)
        _zip(site, out / PACKAGE_NAME)
        try:
            out.rename(target)
        except OSError:
            if not (target / PACKAGE_NAME).is_file():  # another process landed the same hash first: use it
                raise
    return target / PACKAGE_NAME, bundle_hash
