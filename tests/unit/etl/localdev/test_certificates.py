"""Throwaway certificates for local servers: issued by their own authority, for the names asked, and a failure
is one line naming the step."""

from __future__ import annotations

import subprocess

import pytest

from etl.localdev.certificates import CertificateError, create_authority, issue_server_certificate


def test_a_server_certificate_chains_to_its_authority_and_carries_the_names_asked_for(tmp_path):
    authority = create_authority(tmp_path, "test-ca")
    server = issue_server_certificate(authority, tmp_path, "server", ("127.0.0.1",), ("db.local",))

    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", str(authority.certificate), "-purpose", "sslserver", str(server.certificate)],
        capture_output=True,
        text=True,
        check=False,
    )
    text = subprocess.run(
        ["openssl", "x509", "-in", str(server.certificate), "-noout", "-ext", "subjectAltName,basicConstraints"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert verified.returncode == 0, verified.stderr
    assert "IP Address:127.0.0.1" in text and "DNS:db.local" in text and "CA:FALSE" in text


def test_a_certificate_for_no_name_is_refused(tmp_path):
    with pytest.raises(CertificateError, match="at least one IP address or DNS name"):
        issue_server_certificate(create_authority(tmp_path, "test-ca"), tmp_path, "server", (), ())


def test_an_openssl_failure_is_one_line_naming_the_step(tmp_path):
    with pytest.raises(CertificateError, match=r"^creating the certificate authority x failed: ") as raised:
        create_authority(tmp_path / "missing", "x")
    assert "\n" not in str(raised.value)
