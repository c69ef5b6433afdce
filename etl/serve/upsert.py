"""Idempotent loads of an aggregate into its serving table.

Rows are copied into a temporary table, then merged: new keys are inserted, rows whose values differ are
updated (``IS DISTINCT FROM``, so an unchanged row is not touched), and keys the aggregate no longer has are
deleted. Loading the same aggregate twice therefore changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

UPDATED_AT = "updated_at"


class ServingSchemaError(RuntimeError):
    """An aggregate's columns do not match its serving table, or its keys repeat."""


@dataclass(frozen=True)
class UpsertResult:
    """What one load did to one table."""

    table: str
    rows: int
    inserted: int
    updated: int
    deleted: int

    @property
    def changed(self) -> int:
        """Rows inserted, updated or deleted."""
        return self.inserted + self.updated + self.deleted


@dataclass(frozen=True)
class TableShape:
    """A serving table's data columns (in table order, without ``updated_at``) and primary key."""

    schema: str
    name: str
    columns: tuple[str, ...]
    primary_key: tuple[str, ...]

    @property
    def identifier(self) -> sql.Identifier:
        """The quoted, schema-qualified table name."""
        return sql.Identifier(self.schema, self.name)


def table_shape(connection: psycopg.Connection, qualified_name: str) -> TableShape:
    """Read the columns and primary key of ``schema.table`` from the catalog."""
    schema, _, name = qualified_name.rpartition(".")
    schema = schema or "public"
    columns = [
        row[0]
        for row in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
            "ORDER BY ordinal_position",
            (schema, name),
        )
    ]
    if not columns:
        raise ServingSchemaError(f"serving table {schema}.{name} does not exist; apply the migrations first")
    key = [
        row[0]
        for row in connection.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)",
            (f"{schema}.{name}",),
        )
    ]
    return TableShape(schema, name, tuple(c for c in columns if c != UPDATED_AT), tuple(key))


def _check_columns(shape: TableShape, columns: Sequence[str]) -> None:
    missing = [c for c in shape.columns if c not in columns]
    extra = [c for c in columns if c not in shape.columns]
    if missing or extra:
        raise ServingSchemaError(
            f"aggregate for {shape.schema}.{shape.name} does not match the table: missing {missing or 'none'}, "
            f"unexpected {extra or 'none'}; add a migration or fix the aggregate"
        )


def upsert_rows(
    connection: psycopg.Connection, qualified_name: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> UpsertResult:
    """Make ``qualified_name`` hold exactly ``rows`` (tuples in ``columns`` order), touching only what differs."""
    with connection.transaction():
        shape = table_shape(connection, qualified_name)
        _check_columns(shape, columns)
        stage = sql.Identifier(f"stage_{shape.name}")
        column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
        # Same column types as the table, none of its constraints: the merge below enforces those.
        connection.execute(
            sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
                stage, column_list, shape.identifier
            )
        )
        sent = 0
        with connection.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(stage, column_list)) as copy:
            for row in rows:
                copy.write_row(row)
                sent += 1
        key_list = sql.SQL(", ").join(map(sql.Identifier, shape.primary_key))
        duplicate = connection.execute(
            sql.SQL("SELECT {} FROM {} GROUP BY {} HAVING count(*) > 1 LIMIT 1").format(key_list, stage, key_list)
        ).fetchone()
        if duplicate:
            raise ServingSchemaError(f"aggregate for {qualified_name} repeats the key {duplicate}; nothing loaded")
        values = [c for c in shape.columns if c not in shape.primary_key]
        merged = connection.execute(
            sql.SQL(
                "INSERT INTO {table} AS t ({columns}) SELECT {columns} FROM {stage} "
                "ON CONFLICT ({key}) DO UPDATE SET {assignments}, {updated_at} = now() "
                "WHERE ({current}) IS DISTINCT FROM ({incoming}) RETURNING (xmax = 0)"
            ).format(
                table=shape.identifier,
                columns=column_list,
                stage=stage,
                key=key_list,
                assignments=sql.SQL(", ").join(
                    sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c)) for c in values
                ),
                updated_at=sql.Identifier(UPDATED_AT),
                current=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in values),
                incoming=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in values),
            )
        ).fetchall()
        inserted = sum(1 for (is_new,) in merged if is_new)
        deleted = connection.execute(
            sql.SQL("DELETE FROM {table} AS t WHERE NOT EXISTS (SELECT 1 FROM {stage} AS s WHERE {match})").format(
                table=shape.identifier,
                stage=stage,
                match=sql.SQL(" AND ").join(
                    sql.SQL("s.{} = t.{}").format(sql.Identifier(c), sql.Identifier(c)) for c in shape.primary_key
                ),
            )
        ).rowcount
    return UpsertResult(qualified_name, sent, inserted, len(merged) - inserted, deleted)
