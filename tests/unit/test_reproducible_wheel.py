"""The etl wheel is byte-identical wherever and whenever it is built from the same sources: otherwise every synth
in a fresh clone (the delivery pipeline's) would upload a new object and `cdktf diff` would show a change for
unchanged code."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from modules import artifacts

pytestmark = pytest.mark.slow


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checkout_elsewhere(root):
    """The same sources as another checkout would have them: new times, a group-writable umask's modes."""
    root.mkdir()
    shutil.copy(artifacts.REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(artifacts.ETL_PACKAGE, root / "etl", ignore=shutil.ignore_patterns("__pycache__"))
    for path in (root / "etl").rglob("*"):
        path.chmod(0o775 if path.is_dir() else 0o664)
    return root


def test_builds_of_the_same_sources_in_another_checkout_are_byte_identical(tmp_path, monkeypatch):
    here, here_hash = artifacts.built_etl_wheel(tmp_path / "cache-here")
    elsewhere = _checkout_elsewhere(tmp_path / "checkout")
    monkeypatch.setattr(artifacts, "REPO_ROOT", elsewhere)
    monkeypatch.setattr(artifacts, "ETL_PACKAGE", elsewhere / "etl")
    there, there_hash = artifacts.built_etl_wheel(tmp_path / "cache-there")
    assert here_hash == there_hash
    assert here != there
    assert _digest(here) == _digest(there)
