"""Versioned schema migrations for the serving database.

Files ``etl/serve/migrations/V<NNN>__<name>.sql`` are applied in version order, each in its own transaction,
and recorded with their SHA-256 in ``schema_migrations``. An applied migration is never edited: a changed file
is refused, and the fix is a new migration.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

import psycopg
from psycopg import errors as pg_errors

# Read through importlib.resources: the migrations ship inside the wheel the Glue jobs install.
MIGRATIONS_DIR: Traversable = files("etl.serve") / "migrations"
MIGRATION_FILE = re.compile(r"^V(?P<version>\d{3,})__(?P<name>[a-z0-9_]+)\.sql$")
# Any constant works: it only has to be the same for every process migrating this database.
MIGRATION_LOCK_ID = 5_014_100


class MigrationError(RuntimeError):
    """The migrations on disk and those recorded in the database disagree; the message says how."""


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    path: Traversable
    checksum: str

    @property
    def file_name(self) -> str:
        """The file's name, as people refer to it."""
        return self.path.name


def discover(folder: Traversable = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in ``folder``, in version order; badly named files and repeated versions are errors."""
    migrations: dict[int, Migration] = {}
    for path in sorted((entry for entry in folder.iterdir() if entry.name.endswith(".sql")), key=lambda e: e.name):
        match = MIGRATION_FILE.match(path.name)
        if not match:
            raise MigrationError(f"migration file {path.name} is not named V<NNN>__<lower_snake_name>.sql")
        version = int(match["version"])
        if version in migrations:
            raise MigrationError(f"migrations {migrations[version].file_name} and {path.name} share version {version}")
        migrations[version] = Migration(version, match["name"], path, hashlib.sha256(path.read_bytes()).hexdigest())
    return [migrations[version] for version in sorted(migrations)]


def apply_migrations(connection: psycopg.Connection, folder: Traversable = MIGRATIONS_DIR) -> list[Migration]:
    """Apply the pending migrations of ``folder``; returns those applied now (empty when up to date)."""
    migrations = discover(folder)
    # A session-level lock: two loads starting together apply each migration once.
    connection.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_ID,))
    try:
        return _apply_pending(connection, migrations, folder)
    finally:
        connection.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_ID,))


def _recorded_migrations(connection: psycopg.Connection) -> dict[int, tuple[str, str]]:
    with connection.transaction():
        # Checked first: CREATE ... IF NOT EXISTS still needs CREATE on the schema, which the load's own login
        # does not have once the owner created the table.
        if connection.execute("SELECT to_regclass('schema_migrations')").fetchone()[0] is None:
            connection.execute(
                "CREATE TABLE schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
        rows = connection.execute("SELECT version, name, checksum FROM schema_migrations").fetchall()
    return {version: (name, checksum) for version, name, checksum in rows}


def _apply_pending(connection: psycopg.Connection, migrations: list[Migration], folder: Traversable) -> list[Migration]:
    recorded = _recorded_migrations(connection)
    on_disk = {migration.version: migration for migration in migrations}
    for version, (name, checksum) in sorted(recorded.items()):
        if version not in on_disk:
            raise MigrationError(
                f"the database has migration V{version:03d}__{name} applied but it is not in {folder}; restore the file"
            )
        if on_disk[version].checksum != checksum:
            raise MigrationError(
                f"migration {on_disk[version].file_name} changed after it was applied (recorded checksum "
                f"{checksum[:12]}, file {on_disk[version].checksum[:12]}); restore it and put the change in a "
                "new migration"
            )
    applied = []
    for migration in migrations:
        if migration.version in recorded:
            continue
        try:
            with connection.transaction():
                connection.execute(migration.path.read_text(encoding="utf-8"))
                connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
        except pg_errors.InsufficientPrivilege as error:
            raise MigrationError(
                f"migration {migration.file_name} needs the database owner ({str(error).splitlines()[0]}); apply it "
                "with the serving bootstrap job, then rerun (docs/runbooks/pipeline-failure.md"
                "#the-serving-load-cannot-log-in-or-migrate)"
            ) from None
        applied.append(migration)
    return applied
