"""Throwaway TLS certificates for local servers: a certificate authority and the server certificates it issues.

Local servers (the throwaway PostgreSQL, loopback HTTPS stand-ins) present a certificate issued by such an
authority, so clients verify them exactly as they verify AWS's (``sslmode=verify-full`` against a CA bundle, or
HTTPS against a trust store) instead of skipping verification. Made with the ``openssl`` command line; every
certificate lives two days.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

DAYS = "2"
# Runs one command; raises with a one-line message naming ``what`` when it fails.
Runner = Callable[[list[str], str], None]


class CertificateError(RuntimeError):
    """openssl could not make a certificate; the message names the step."""


def run_openssl(command: list[str], what: str) -> None:
    """Run ``command``; a failure is one line naming ``what`` and openssl's last message."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise CertificateError(f"{what} failed: {lines[-1] if lines else f'exit status {result.returncode}'}")


@dataclass(frozen=True)
class KeyPair:
    """A PEM certificate and its unencrypted private key."""

    certificate: Path
    key: Path


def create_authority(directory: Path, name: str, run: Runner = run_openssl) -> KeyPair:
    """A self-signed certificate authority ``CN=<name>`` in ``directory`` (``<name>.crt``, ``<name>.key``)."""
    pair = KeyPair(directory / f"{name}.crt", directory / f"{name}.key")
    run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            DAYS,
            "-subj",
            f"/CN={name}",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
            str(pair.key),
            "-out",
            str(pair.certificate),
        ],
        f"creating the certificate authority {name}",
    )
    return pair


def issue_server_certificate(
    authority: KeyPair,
    directory: Path,
    stem: str,
    ip_addresses: Sequence[str] = ("127.0.0.1",),
    dns_names: Sequence[str] = (),
    run: Runner = run_openssl,
) -> KeyPair:
    """A server certificate signed by ``authority`` for ``ip_addresses`` and ``dns_names`` (its subject
    alternative names, which clients match the host against), as ``<stem>.crt`` and ``<stem>.key``."""
    names = [f"IP:{address}" for address in ip_addresses] + [f"DNS:{name}" for name in dns_names]
    if not names:
        raise CertificateError(f"certificate {stem}: give at least one IP address or DNS name")
    pair = KeyPair(directory / f"{stem}.crt", directory / f"{stem}.key")
    request, extensions = directory / f"{stem}.csr", directory / f"{stem}.ext"
    extensions.write_text(
        f"subjectAltName={','.join(names)}\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        encoding="utf-8",
    )
    extensions.chmod(0o644)
    common_name = (list(ip_addresses) + list(dns_names))[0]
    key_request = ("-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={common_name}")
    run(
        ["openssl", "req", *key_request, "-keyout", str(pair.key), "-out", str(request)],
        f"creating the key of {stem}",
    )
    signing = ("-CA", str(authority.certificate), "-CAkey", str(authority.key), "-days", DAYS)
    serial = ("-set_serial", f"0x{secrets.token_hex(8)}")
    output = ("-extfile", str(extensions), "-out", str(pair.certificate))
    run(
        ["openssl", "x509", "-req", "-in", str(request), *signing, *serial, *output],
        f"signing {stem} with {authority.certificate.stem}",
    )
    return pair
