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


def assume_role_policy(service: str) -> str:
    """Trust policy for a service principal such as ``glue.amazonaws.com``."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"},
            ],
        }
    )
