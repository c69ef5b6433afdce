"""IAM and resource policy documents as data, rendered to JSON for Terraform.

Policies are built as plain dicts and serialised with ``json.dumps`` so tests and the least-privilege check
read exactly what AWS will receive. Terraform references (``${...}``) pass through as strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Statement:
    """One policy statement; ``principals`` is used only in resource and key policies."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...] = ("*",)
    effect: str = "Allow"
    principals: Mapping[str, object] | None = None
    conditions: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Deny statements may use wildcards (deny every S3 action without TLS); allows may not.
        for action in self.actions if self.effect == "Allow" else ():
            if action == "*" or action.endswith(":*"):
                raise ValueError(f"statement {self.sid}: action {action!r} is a wildcard; list the actions")

    def render(self) -> dict[str, object]:
        rendered: dict[str, object] = {
            "Sid": self.sid,
            "Effect": self.effect,
            "Action": list(self.actions),
            "Resource": list(self.resources),
        }
        if self.principals is not None:
            rendered["Principal"] = dict(self.principals)
        if self.conditions:
            rendered["Condition"] = {op: dict(values) for op, values in self.conditions.items()}
        return rendered


def policy_json(statements: Iterable[Statement]) -> str:
    """A policy document as Terraform expects it."""
    return json.dumps({"Version": "2012-10-17", "Statement": [s.render() for s in statements]}, indent=None)


# Service principals whose role assumption carries no aws:SourceAccount or aws:SourceArn, and why. Every other
# service's trust names the account and the resources it acts for (the confused-deputy guard).
TRUST_WITHOUT_SOURCE_CONTEXT: Mapping[str, str] = {
    "ec2.amazonaws.com": (
        "EC2 takes an instance role through the instance profile an instance is launched with; the request "
        "carries no source account or ARN, and iam:PassRole on the profile's role (the deploy role's, scoped to "
        "this environment's roles) is what decides who may hand the role to an instance."
    ),
}


def assume_role_policy(service: str, *, source_account: str | None, source_arn: str | None = None) -> str:
    """Trust policy for a service principal such as ``glue.amazonaws.com``, confined to ``source_account`` and,
    when given, to resources matching ``source_arn`` (an ARN or ARN pattern).

    Only a service listed in ``TRUST_WITHOUT_SOURCE_CONTEXT`` may be trusted without a source account.
    """
    if source_account is None and service not in TRUST_WITHOUT_SOURCE_CONTEXT:
        raise ValueError(f"trust of {service}: name the source account (and ARN) the service acts for")
    if source_account is not None and service in TRUST_WITHOUT_SOURCE_CONTEXT:
        raise ValueError(f"trust of {service}: {TRUST_WITHOUT_SOURCE_CONTEXT[service]}")
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    conditions: dict[str, dict[str, str]] = {}
    if source_account is not None:
        conditions["StringEquals"] = {"aws:SourceAccount": source_account}
    if source_arn is not None:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    if conditions:
        statement["Condition"] = conditions
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"
# The session tag the workforce identity provider asserts (SAML attribute
# https://aws.amazon.com/SAML/Attributes/PrincipalTag:mfa-authenticated) only after a multi-factor sign-in.
# aws:MultiFactorAuthPresent is never set for SAML sessions, so the MFA condition is this signed assertion.
MFA_SESSION_TAG = "mfa-authenticated"


def saml_trust_statement(saml_provider_arn: str) -> dict[str, object]:
    """People signed in through the workforce identity provider, only after MFA there."""
    return {
        "Effect": "Allow",
        "Principal": {"Federated": saml_provider_arn},
        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        "Condition": {"StringEquals": {"SAML:aud": SAML_AUDIENCE, f"aws:RequestTag/{MFA_SESSION_TAG}": "true"}},
    }


def persona_trust_policy(saml_provider_arn: str) -> str:
    """People reach a persona role only through the workforce identity provider, and only after MFA there."""
    return json.dumps({"Version": "2012-10-17", "Statement": [saml_trust_statement(saml_provider_arn)]})
