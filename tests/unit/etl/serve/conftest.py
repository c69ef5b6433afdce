"""Serving tests run against a real PostgreSQL server (one per test session, a fresh database per test) and
share one tiny curated zone written by real local Spark."""

import pytest

from etl.lake import LocalLakeStore
from tests.support.curated import tiny_curated_lake
from tests.support.postgres import postgres_connection, postgres_database, postgres_server

__all__ = ["postgres_connection", "postgres_database", "postgres_server"]


@pytest.fixture(scope="session")
def curated_lake(spark, tmp_path_factory) -> LocalLakeStore:
    """The tiny curated zone of ``tests.support.curated`` (read only: tests must not write to it)."""
    return tiny_curated_lake(spark, tmp_path_factory.mktemp("curated-lake"))
