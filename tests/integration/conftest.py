"""Integration tests run against a real PostgreSQL server (one per test session, a fresh database per test)."""

from tests.support.postgres import postgres_connection, postgres_database, postgres_server

__all__ = ["postgres_connection", "postgres_database", "postgres_server"]
