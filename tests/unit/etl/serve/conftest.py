"""Serving tests run against a real PostgreSQL server (one per test session, a fresh database per test) and
share one tiny curated zone written by real local Spark."""

from pathlib import Path

import pytest

from etl.lake import LocalLakeStore
from etl.localdev.certificates import create_authority
from tests.support.curated import tiny_curated_lake
from tests.support.postgres import postgres_connection, postgres_database, postgres_server
from tests.support.truststore import LocalTruststore

__all__ = ["postgres_connection", "postgres_database", "postgres_server"]


@pytest.fixture(scope="session")
def curated_lake(spark, tmp_path_factory) -> LocalLakeStore:
    """The tiny curated zone of ``tests.support.curated`` (read only: tests must not write to it)."""
    return tiny_curated_lake(spark, tmp_path_factory.mktemp("curated-lake"))


@pytest.fixture
def truststore(postgres_server, tmp_path, monkeypatch) -> LocalTruststore:
    """AWS's RDS truststore, as the loopback stand-in: eu-west-2's bundle is the local server's authority,
    eu-west-1's another authority's (a bundle that does not vouch for the server). Clients trust the stand-in
    through ``SSL_CERT_FILE``."""
    other = create_authority(tmp_path, "another-ca").certificate.read_text()
    bundles = {
        "/eu-west-2/eu-west-2-bundle.pem": Path(postgres_server.sslrootcert).read_text(),
        "/eu-west-1/eu-west-1-bundle.pem": other,
    }
    with LocalTruststore(bundles) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_certificate))
        yield server
