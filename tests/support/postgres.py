"""A real PostgreSQL server for the tests: one per test session, one fresh database per test."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from etl.localdev.postgres import LocalPostgres
from etl.serve.connection import ServingDatabaseSettings


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ServingDatabaseSettings]:
    """A throwaway server in a temporary data directory (reachable by the postgres user), stopped at the end; it
    also serves TLS, so jobs can connect as in AWS (``sslmode=require``)."""
    data_dir = Path(tempfile.mkdtemp(prefix="northwind-test-pg-"))
    try:
        with LocalPostgres(data_dir, tls=True) as settings:
            yield settings
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_server: ServingDatabaseSettings) -> Iterator[ServingDatabaseSettings]:
    """Settings of a new, empty database on the session's server, dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = postgres_server.model_copy(update={"dbname": "postgres"})
    with psycopg.connect(admin.conninfo(), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    yield postgres_server.model_copy(update={"dbname": name})
    with psycopg.connect(admin.conninfo(), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def postgres_connection(postgres_database: ServingDatabaseSettings) -> Iterator[psycopg.Connection]:
    """An autocommit connection to a fresh database (the code under test opens its own transactions)."""
    with psycopg.connect(postgres_database.conninfo(), autocommit=True) as connection:
        yield connection
