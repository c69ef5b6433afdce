"""The throwaway PostgreSQL server used by ``make pipeline`` and the tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import psycopg
import pytest

from etl.localdev.postgres import LocalPostgres, LocalPostgresError


def test_the_cluster_is_kept_between_runs_and_each_run_gets_a_fresh_port():
    data_dir = Path(tempfile.mkdtemp(prefix="northwind-kept-pg-"))
    server = LocalPostgres(data_dir)
    with server as first:
        with psycopg.connect(first.conninfo(), autocommit=True) as connection:
            connection.execute("CREATE TABLE kept (id integer)")
        first_port = first.port
    assert server.initialise() is False

    with server as second, psycopg.connect(second.conninfo()) as connection:
        assert connection.execute("SELECT to_regclass('kept')::text").fetchone() == ("kept",)
        assert second.host == "127.0.0.1"
    assert second.port != 0 and first_port != 0
    with pytest.raises(LocalPostgresError, match="not running"):
        _ = server.settings


def test_missing_server_binaries_are_a_clear_error_naming_the_fix(tmp_path):
    server = LocalPostgres(tmp_path / "data", bin_dir=tmp_path / "no-postgres")
    with pytest.raises(LocalPostgresError, match=r"binaries not found .* run `python -m scripts\.require_postgres`"):
        server.initialise()


def test_a_data_dir_the_server_user_cannot_reach_is_refused_before_initdb(tmp_path):
    """Root hands the server to the postgres user, who cannot pass through a private (0700) folder."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    os.chmod(tmp_path, 0o700)
    server = LocalPostgres(private / "data")
    if os.geteuid() == 0:
        with pytest.raises(LocalPostgresError, match=r"cannot reach .* not searchable by others"):
            server.initialise()
    else:
        assert server.initialise() is True
