"""Request (or find) the ACM certificate of an environment's service hostname, once per account.

    python -m scripts.service_certificate ENV

The stack uses the ISSUED certificate for ``compute.certificate_domain`` (docs/adr/0022); this requests it with
DNS validation and prints the validation record the organisation's DNS must hold. Idempotent: a certificate
already requested or issued for the name is reported, never requested twice.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Annotated

import typer

from environments import EnvironmentDefinitionError, load_environment

app = typer.Typer(add_completion=False, help=__doc__)
USABLE_STATUSES = ("ISSUED", "PENDING_VALIDATION")


@dataclass(frozen=True)
class ServiceCertificate:
    """The certificate and what DNS needs for it: ``outcome`` is ``created`` or ``present``."""

    arn: str
    status: str
    validation_name: str | None
    validation_value: str | None
    outcome: str


def _validation_record(acm, arn: str, attempts: int, wait_seconds: float) -> tuple[str, dict | None]:
    # ACM fills in the DNS record a few seconds after the request.
    for attempt in range(attempts):
        certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        options = certificate.get("DomainValidationOptions") or [{}]
        if options[0].get("ResourceRecord") or attempt == attempts - 1:
            return certificate["Status"], options[0].get("ResourceRecord")
        time.sleep(wait_seconds)
    raise AssertionError("unreachable")


def ensure_certificate(acm, hostname: str, attempts: int = 10, wait_seconds: float = 3.0) -> ServiceCertificate:
    """The account's certificate for ``hostname`` (requested with DNS validation if there is none)."""
    existing = [
        summary
        for page in acm.get_paginator("list_certificates").paginate(CertificateStatuses=list(USABLE_STATUSES))
        for summary in page["CertificateSummaryList"]
        if summary["DomainName"] == hostname
    ]
    if existing:
        arn, outcome = existing[0]["CertificateArn"], "present"
    else:
        arn = acm.request_certificate(
            DomainName=hostname, ValidationMethod="DNS", IdempotencyToken=hostname.replace(".", "")[:32]
        )["CertificateArn"]
        outcome = "created"
    status, record = _validation_record(acm, arn, attempts, wait_seconds)
    return ServiceCertificate(arn, status, (record or {}).get("Name"), (record or {}).get("Value"), outcome)


@app.command()
def main(env_name: Annotated[str, typer.Argument(metavar="ENV", help="The environment.")]) -> None:
    try:
        env = load_environment(env_name)
    except EnvironmentDefinitionError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    import boto3

    certificate = ensure_certificate(boto3.client("acm", region_name=env.region), env.compute.certificate_domain)
    typer.echo(f"certificate {certificate.outcome}: {certificate.arn} ({certificate.status})")
    if certificate.status != "ISSUED":
        typer.echo(
            f"add to the organisation's DNS: {certificate.validation_name} CNAME {certificate.validation_value}; "
            "the first plan waits until ACM has issued it"
        )


if __name__ == "__main__":
    sys.exit(app())
