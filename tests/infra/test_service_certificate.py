"""The service certificate of a new account: requested once with DNS validation, found again afterwards
(moto stands in for ACM; AWS itself cannot be reached from tests)."""

from __future__ import annotations

import boto3
from moto import mock_aws

from scripts.service_certificate import ensure_certificate


@mock_aws
def test_the_certificate_is_requested_once_with_dns_validation_and_found_again(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    acm = boto3.client("acm", region_name="eu-west-2")

    first = ensure_certificate(acm, "analytics.qa.northwind.example", wait_seconds=0)
    again = ensure_certificate(acm, "analytics.qa.northwind.example", wait_seconds=0)

    assert (first.outcome, again.outcome) == ("created", "present")
    assert first.arn == again.arn
    assert first.validation_name and first.validation_name.endswith("analytics.qa.northwind.example.")
    (summary,) = acm.list_certificates()["CertificateSummaryList"]
    assert summary["DomainName"] == "analytics.qa.northwind.example"
    assert (
        acm.describe_certificate(CertificateArn=first.arn)["Certificate"]["DomainValidationOptions"][0][
            "ValidationMethod"
        ]
        == "DNS"
    )


@mock_aws
def test_another_hostnames_certificate_is_not_taken_for_this_one(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    acm = boto3.client("acm", region_name="eu-west-2")
    other = ensure_certificate(acm, "analytics.dev.northwind.example", wait_seconds=0)
    mine = ensure_certificate(acm, "analytics.qa.northwind.example", wait_seconds=0)
    assert other.arn != mine.arn and mine.outcome == "created"
