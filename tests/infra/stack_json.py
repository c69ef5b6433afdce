"""Lookups over a synthesized stack's Terraform JSON shared by the infrastructure tests."""

from __future__ import annotations

import json
import re

REFERENCE = re.compile(r"^\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z_]+\}")


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def statements(policy: str) -> dict[str, dict]:
    """A policy document's statements keyed by Sid."""
    return {s["Sid"]: s for s in as_list(json.loads(policy)["Statement"])}


def referenced(value: str) -> tuple[str, str] | None:
    """``(type, logical id)`` of a ``${type.id.attribute}`` reference, else None."""
    match = REFERENCE.match(str(value))
    return (match.group(1), match.group(2)) if match else None


def address(resource_type: str, logical_id: str) -> str:
    """The Terraform address ``depends_on`` names."""
    return f"{resource_type}.{logical_id}"


def role_policy_addresses(stack, role_id: str) -> set[str]:
    """Every inline policy and managed-policy attachment of one role."""
    found = set()
    for resource_type in ("aws_iam_role_policy", "aws_iam_role_policy_attachment"):
        for logical_id, body in stack.resources(resource_type).items():
            if referenced(body["role"]) == ("aws_iam_role", role_id):
                found.add(address(resource_type, logical_id))
    return found


def bucket_policy_address(stack, bucket_reference: str) -> str:
    """The ``aws_s3_bucket_policy`` of the bucket a reference names."""
    bucket = referenced(bucket_reference)
    assert bucket and bucket[0] == "aws_s3_bucket", f"{bucket_reference} does not name a bucket of the stack"
    (logical_id,) = [k for k, b in stack.resources("aws_s3_bucket_policy").items() if referenced(b["bucket"]) == bucket]
    return address("aws_s3_bucket_policy", logical_id)


def role_named(stack, suffix: str) -> tuple[str, dict]:
    """``(logical id, body)`` of the role ``<stack>-<suffix>``."""
    (found,) = [(k, b) for k, b in stack.resources("aws_iam_role").items() if b["name"] == f"{stack.name}-{suffix}"]
    return found


def role_statements(stack, suffix: str) -> dict[str, dict]:
    """Every inline statement of the role ``<stack>-<suffix>``, keyed by Sid."""
    role_id, _ = role_named(stack, suffix)
    found: dict[str, dict] = {}
    for body in stack.resources("aws_iam_role_policy").values():
        if referenced(body["role"]) == ("aws_iam_role", role_id):
            found |= statements(body["policy"])
    return found


def key_policy(stack, purpose: str) -> dict[str, dict]:
    """The statements of the key tagged ``purpose``, keyed by Sid."""
    (key,) = [k for k in stack.resources("aws_kms_key").values() if k["tags"]["purpose"] == purpose]
    return statements(key["policy"])
