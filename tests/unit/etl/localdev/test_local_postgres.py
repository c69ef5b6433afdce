"""The throwaway PostgreSQL server used by ``make pipeline`` and the tests."""

from __future__ import annotations

import os
import socket
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


def test_a_port_taken_before_the_server_binds_it_is_replaced_by_another(monkeypatch):
    from etl.localdev import postgres

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    taken_port = taken.getsockname()[1]
    offered = [taken_port]
    free = postgres.free_loopback_port
    monkeypatch.setattr(postgres, "free_loopback_port", lambda: offered.pop(0) if offered else free())
    server = LocalPostgres(Path(tempfile.mkdtemp(prefix="northwind-port-pg-")))
    try:
        with server as started, psycopg.connect(started.conninfo()) as connection:
            assert started.port != taken_port
            assert connection.execute("SELECT 1").fetchone() == (1,)
        assert "Address already in use" in server.log_file.read_text()
    finally:
        taken.close()


def test_a_start_that_fails_for_another_reason_is_not_repeated(monkeypatch):
    from etl.localdev import postgres

    offered = []
    free = postgres.free_loopback_port
    monkeypatch.setattr(postgres, "free_loopback_port", lambda: offered.append(free()) or offered[-1])
    server = LocalPostgres(Path(tempfile.mkdtemp(prefix="northwind-bad-conf-pg-")))
    server.initialise()  # starts and stops the server once, to create the database
    with (server.data_dir / "postgresql.auto.conf").open("a") as conf:
        conf.write("shared_buffers = 'not a size'\n")
    offered.clear()

    with pytest.raises(LocalPostgresError, match="starting PostgreSQL"):
        server.start()

    assert len(offered) == 1
    assert server.port == 0
    server.stop()  # nothing started, nothing to stop
