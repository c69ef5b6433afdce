"""The serving load and the bootstrap verify the database: a server whose certificate the RDS CA bundle does not
vouch for, or whose certificate names another host, is refused before any credential is sent. The database is
the real local PostgreSQL over TLS (a certificate for 127.0.0.1 from a throwaway authority); the loopback
truststore stands in for AWS's (tests/support/truststore.py)."""

from __future__ import annotations

import psycopg
import pytest

from etl.serve.ca_bundle import ca_bundle_file
from etl.serve.connection import ServingDatabaseEndpoint, settings_with_iam_token


class TokenSigner:
    """Stands in for the RDS token signer (boto3's ``generate_db_auth_token`` signs locally; the local server
    trusts loopback, so the token itself is not checked)."""

    def generate_db_auth_token(self, DBHostname: str, Port: int, DBUsername: str) -> str:
        return f"token-for-{DBUsername}@{DBHostname}:{Port}"


def _connect(postgres_database, host: str, bundle_url: str) -> psycopg.Connection:
    endpoint = ServingDatabaseEndpoint(host=host, port=postgres_database.port, dbname=postgres_database.dbname)
    with ca_bundle_file(bundle_url) as bundle:
        settings = settings_with_iam_token(endpoint, postgres_database.user, TokenSigner(), bundle)
        # hostaddr pins the address, so a host name the certificate does not carry still reaches the server.
        return psycopg.connect(settings.conninfo(), hostaddr="127.0.0.1")


def test_a_server_the_bundle_vouches_for_under_its_own_name_is_reached_over_verified_tls(postgres_database, truststore):
    with _connect(postgres_database, "127.0.0.1", truststore.region_url("eu-west-2")) as connection:
        (ssl_on,) = connection.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
        assert ssl_on is True
        assert connection.info.get_parameters()["sslmode"] == "verify-full"


def test_a_server_whose_certificate_the_bundle_does_not_vouch_for_is_refused(postgres_database, truststore):
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        _connect(postgres_database, "127.0.0.1", truststore.region_url("eu-west-1"))


def test_a_server_whose_certificate_names_another_host_is_refused(postgres_database, truststore):
    with pytest.raises(psycopg.OperationalError, match='does not match host name "localhost"'):
        _connect(postgres_database, "localhost", truststore.region_url("eu-west-2"))
