"""Resource names follow ``<project>-<env>-<component>`` and are checked here, in one place."""

from __future__ import annotations

import re

PROJECT = "northwind"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")


def name_prefix(environment_name: str) -> str:
    """The prefix every resource of an environment carries, e.g. ``northwind-dev``."""
    return f"{PROJECT}-{environment_name}"


def resource_name(prefix: str, component: str, max_length: int = 63) -> str:
    """``<prefix>-<component>``, rejected when AWS would refuse it rather than truncated silently."""
    name = f"{prefix}-{component}"
    if len(name) > max_length:
        raise ValueError(f"resource name {name!r} is {len(name)} characters; the limit here is {max_length}")
    if not _NAME.match(name):
        raise ValueError(f"resource name {name!r} may hold only lower-case letters, digits and hyphens")
    return name


def artifacts_bucket_name(prefix: str, account_id: str) -> str:
    """The artifacts bucket (job scripts, wheels, the service wheelhouse), e.g.
    ``northwind-dev-lake-artifacts-111111111111``."""
    return resource_name(prefix, f"lake-artifacts-{account_id}")
