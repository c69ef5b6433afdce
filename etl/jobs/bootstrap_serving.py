"""Glue 5.0 entry script that applies the serving schema's migrations as the database owner.

It logs in with the RDS-managed master secret, which only this job's role may read, and applies every pending
migration; the first run creates the serving load's own login (V005). Started by hand: once per environment
after the first deploy, and when the serving load reports a migration that needs the owner
(docs/adr/0054-serving-load-login.md). Only the ``__main__`` block knows about Glue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg

from etl.jobs import JobArgument, present, require, run_entry
from etl.secrets import SecretUnavailableError
from etl.serve.ca_bundle import CaBundleError, ca_bundle_file
from etl.serve.connection import (
    ServingDatabaseConfigError,
    ServingDatabaseEndpoint,
    endpoint_from_arguments,
    settings_from_secret,
)
from etl.serve.migrate import Migration, MigrationError, apply_migrations

log = logging.getLogger(__name__)
ARGUMENTS = (
    JobArgument("serving_db_secret_id", "the Secrets Manager id of the database's managed master secret"),
    JobArgument("serving_db_host", "the serving database's address"),
    JobArgument("serving_db_port", "the serving database's port"),
    JobArgument("serving_db_name", "the serving database's name"),
    JobArgument("serving_db_ca_bundle_url", "the HTTPS URL of the RDS CA bundle the database is verified against"),
)


@dataclass(frozen=True)
class BootstrapJobArgs:
    """The bootstrap job's arguments, parsed once."""

    serving_db_secret_id: str
    serving_db_endpoint: ServingDatabaseEndpoint
    serving_db_ca_bundle_url: str

    @classmethod
    def parse(cls, raw: dict[str, str]) -> BootstrapJobArgs:
        """Job arguments as Glue resolves them (all strings)."""
        given = require(raw, ARGUMENTS)
        return cls(
            serving_db_secret_id=given["serving_db_secret_id"],
            serving_db_endpoint=endpoint_from_arguments(
                given["serving_db_host"], given["serving_db_port"], given["serving_db_name"]
            ),
            serving_db_ca_bundle_url=given["serving_db_ca_bundle_url"],
        )


def main(args: BootstrapJobArgs, secrets_client: object | None = None) -> list[Migration]:
    """Apply the pending migrations as the owner, on a server the RDS CA bundle vouches for (the owner's
    password goes nowhere else); returns those applied now."""
    with ca_bundle_file(args.serving_db_ca_bundle_url) as ca_bundle:
        settings = settings_from_secret(
            args.serving_db_secret_id, args.serving_db_endpoint, client=secrets_client, ca_bundle=ca_bundle
        )
        connection = psycopg.connect(settings.conninfo())
    with connection:
        applied = apply_migrations(connection)
    log.info("serving schema: %d migration(s) applied: %s", len(applied), ", ".join(m.file_name for m in applied))
    return applied


if __name__ == "__main__":
    import sys

    from awsglue.utils import getResolvedOptions

    run_entry(
        "bootstrap_serving",
        lambda: main(BootstrapJobArgs.parse(getResolvedOptions(sys.argv, present(ARGUMENTS, sys.argv)))),
        (ServingDatabaseConfigError, SecretUnavailableError, CaBundleError, MigrationError, psycopg.OperationalError),
    )
