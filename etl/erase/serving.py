"""Erasing one customer from the serving database: every serving table keyed by the customer's pseudonym.

The other serving tables are aggregates over many customers (sales per day, product and country; the funnel
per day); they hold nothing of one person and are recomputed from the curated zone by the next serving load.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

SERVING_SCHEMA = "serving"
SUBJECT_COLUMN = "customer_id"


def customer_tables(connection: psycopg.Connection) -> list[str]:
    """Serving tables with a ``customer_id`` column, by name."""
    rows = connection.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = %s AND column_name = %s "
        "ORDER BY table_name",
        (SERVING_SCHEMA, SUBJECT_COLUMN),
    ).fetchall()
    return [name for (name,) in rows]


def erase_from_serving(connection: psycopg.Connection, pseudonym: str) -> dict[str, int]:
    """Delete the customer's rows from every serving table keyed by them, in one transaction; rows per table."""
    deleted = {}
    with connection.transaction():
        for table in customer_tables(connection):
            statement = sql.SQL("DELETE FROM {}.{} WHERE {} = %s").format(
                sql.Identifier(SERVING_SCHEMA), sql.Identifier(table), sql.Identifier(SUBJECT_COLUMN)
            )
            deleted[f"{SERVING_SCHEMA}.{table}"] = connection.execute(statement, (pseudonym,)).rowcount
    return deleted
