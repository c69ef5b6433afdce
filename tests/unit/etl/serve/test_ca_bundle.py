"""Fetching the RDS CA bundle: HTTPS only, from a server the trust store vouches for, and only a bundle that
holds certificates. The loopback truststore stands in for AWS's (tests/support/truststore.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.localdev.certificates import create_authority
from etl.serve.ca_bundle import CaBundleError, ca_bundle_file, fetch_ca_bundle
from tests.support.truststore import LocalTruststore


@pytest.fixture(scope="module")
def authority_pem(tmp_path_factory) -> str:
    return create_authority(tmp_path_factory.mktemp("ca"), "some-rds-ca").certificate.read_text()


@pytest.fixture
def truststore(authority_pem, monkeypatch):
    bundles = {"/eu-west-2/eu-west-2-bundle.pem": f"{authority_pem}\n{authority_pem}", "/empty.pem": "<html/>"}
    with LocalTruststore(bundles) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_certificate))
        yield server


def test_the_regional_bundle_is_fetched_and_kept_in_a_file_only_while_it_is_used(truststore, authority_pem):
    with ca_bundle_file(truststore.region_url("eu-west-2")) as path:
        text = Path(path).read_text()
        assert text.count("BEGIN CERTIFICATE") == 2 and authority_pem.strip() in text
    assert not Path(path).exists()


def test_a_bundle_url_that_is_not_https_is_refused():
    with pytest.raises(CaBundleError, match="is not https://"):
        fetch_ca_bundle("http://truststore.pki.rds.amazonaws.com/eu-west-2/eu-west-2-bundle.pem")


def test_a_missing_bundle_names_the_http_status(truststore):
    with pytest.raises(CaBundleError, match="HTTP 404"):
        fetch_ca_bundle(truststore.url("/eu-west-9/eu-west-9-bundle.pem"))


def test_a_page_without_certificates_is_not_taken_for_a_bundle(truststore):
    with pytest.raises(CaBundleError, match="holds no PEM certificate"):
        fetch_ca_bundle(truststore.url("/empty.pem"))


def test_a_truststore_whose_certificate_the_trust_store_does_not_vouch_for_is_refused(truststore, monkeypatch):
    """An impostor serving its own bundle cannot make the job trust its database."""
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(CaBundleError, match="certificate is not trusted"):
        fetch_ca_bundle(truststore.region_url("eu-west-2"))


def test_an_unreachable_truststore_says_the_job_needs_https_egress():
    with pytest.raises(CaBundleError, match="needs HTTPS egress"):
        fetch_ca_bundle("https://127.0.0.1:1/eu-west-2/eu-west-2-bundle.pem", timeout_seconds=2)
