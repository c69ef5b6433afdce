"""Logging in to the serving database as the load's own role: an RDS IAM token, sent only to a server whose
certificate and name the region's RDS CA bundle vouches for (``verify-full``). Every job that writes the
serving tables in AWS (the serving load, an erasure) logs in here, so none can skip verification."""

from __future__ import annotations

import psycopg

from etl.serve.ca_bundle import ca_bundle_file
from etl.serve.connection import ServingDatabaseEndpoint, settings_with_iam_token

RUNBOOK_SECTION = "docs/runbooks/pipeline-failure.md#the-serving-load-cannot-log-in-or-migrate"


class ServingLoginError(RuntimeError):
    """The load's role could not log in to the serving database; the message says what to do."""


def connect_as_load_role(
    endpoint: ServingDatabaseEndpoint, user: str, rds_client: object, ca_bundle_url: str
) -> psycopg.Connection:
    """A connection to ``endpoint`` as ``user``, verified against the bundle at ``ca_bundle_url``.

    A refused login is one ``ServingLoginError``: a server the bundle does not vouch for is named as such (the
    fix is never a weaker ``sslmode``), any other refusal points at the serving bootstrap, which creates the role.
    """
    with ca_bundle_file(ca_bundle_url) as ca_bundle:
        settings = settings_with_iam_token(endpoint, user, rds_client, ca_bundle)
        try:
            # libpq reads the bundle while connecting; the file may go once the connection is up.
            return psycopg.connect(settings.conninfo())
        except psycopg.OperationalError as error:
            cause = str(error).strip().splitlines()[-1]
    what_to_do = (
        "the server is not one the RDS CA bundle vouches for under that name; do not weaken sslmode"
        if "certificate" in cause
        else "the first time, run the serving bootstrap job once"
    )
    raise ServingLoginError(
        f"cannot log in to {endpoint.host}:{endpoint.port}/{endpoint.dbname} as {user} ({cause}); {what_to_do} "
        f"({RUNBOOK_SECTION})"
    )
