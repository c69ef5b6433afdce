"""How long the first apply of a synthesized stack should take: the longest chain of dependent creations.

Terraform creates a resource once everything it references exists, up to ten at a time (``-parallelism``), so
a first apply takes at least its critical path (the dependency chain with the most creation time) and at
least the total creation time over ten. Each resource type's creation time is in ``CREATION_SECONDS``: a
typical figure and, where one is published, the ceiling the provider waits before it gives up.

AWS publishes no typical creation time for the slow resources here (RDS, NAT gateways, load balancers,
interface endpoints); the typical figures are this project's estimates and are labelled so, the ceilings are
the AWS provider's documented timeouts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

REFERENCE = re.compile(r"\$\{(?:[a-z0-9_]+\()*([a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)")
PARALLELISM = 10
PROVIDER_DOCS = "https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources"


@dataclass(frozen=True)
class CreationTime:
    """How long one resource of a type takes to create: ``typical`` seconds (estimated), ``ceiling`` seconds
    the provider waits at most (None when it documents none), and where that ceiling is written."""

    typical: int
    ceiling: int | None = None
    source: str = "estimate: a control-plane call, seconds"


# Typical figures are estimates (see the module docstring); ceilings cite the provider's "Timeouts" sections.
CREATION_SECONDS: Mapping[str, CreationTime] = {
    "aws_db_instance": CreationTime(
        900, 40 * 60, f"estimate 10-15 min (Multi-AZ longer); ceiling {PROVIDER_DOCS}/db_instance#timeouts"
    ),
    "aws_autoscaling_group": CreationTime(
        420,
        10 * 60,
        "estimate: boot, user data and the 300 s health-check grace of the compute tier; ceiling "
        f"wait_for_capacity_timeout {PROVIDER_DOCS}/autoscaling_group#waiting-for-capacity",
    ),
    "aws_nat_gateway": CreationTime(120, 10 * 60, f"estimate 1-2 min; ceiling {PROVIDER_DOCS}/nat_gateway#timeouts"),
    "aws_vpc_endpoint": CreationTime(
        120, 10 * 60, f"estimate 1-3 min (interface endpoints); ceiling {PROVIDER_DOCS}/vpc_endpoint#timeouts"
    ),
    "aws_lb": CreationTime(180, 10 * 60, f"estimate 2-3 min to active; ceiling {PROVIDER_DOCS}/lb#timeouts"),
    "aws_wafv2_web_acl": CreationTime(60, None, "estimate: about a minute to propagate"),
    "aws_wafv2_web_acl_association": CreationTime(
        60, 5 * 60, f"estimate; ceiling {PROVIDER_DOCS}/wafv2_web_acl_association#timeouts"
    ),
    "aws_eip": CreationTime(10),
    "aws_internet_gateway": CreationTime(10, 20 * 60, f"ceiling {PROVIDER_DOCS}/internet_gateway#timeouts"),
    "aws_subnet": CreationTime(10, 10 * 60, f"ceiling {PROVIDER_DOCS}/subnet#timeouts"),
    "aws_route": CreationTime(10, 5 * 60, f"ceiling {PROVIDER_DOCS}/route#timeouts"),
    "aws_kms_key": CreationTime(15, 2 * 60, f"ceiling {PROVIDER_DOCS}/kms_key#timeouts"),
    # IAM is eventually consistent: the provider retries a new role's first use for up to two minutes.
    "aws_iam_role": CreationTime(10),
    "aws_lakeformation_permissions": CreationTime(5),
    "aws_glue_connection": CreationTime(5),
    "aws_s3_bucket": CreationTime(10, 20 * 60, f"ceiling {PROVIDER_DOCS}/s3_bucket#timeouts"),
    "aws_cloudwatch_metric_alarm": CreationTime(3),
}
DEFAULT_CREATION = CreationTime(5)


def creation_time(resource_type: str) -> CreationTime:
    return CREATION_SECONDS.get(resource_type, DEFAULT_CREATION)


def dependency_graph(config: Mapping) -> dict[str, set[str]]:
    """address -> the resources it waits for (its references and ``depends_on``; data sources read at once)."""
    addresses = {f"{t}.{n}" for t, by_name in config.get("resource", {}).items() for n in by_name}
    graph = {}
    for resource_type, by_name in config.get("resource", {}).items():
        for name, body in by_name.items():
            found = set(REFERENCE.findall(_text(body))) | set(body.get("depends_on", []))
            graph[f"{resource_type}.{name}"] = {a for a in found if a in addresses} - {f"{resource_type}.{name}"}
    return graph


def _text(value: object) -> str:
    if isinstance(value, Mapping):
        return " ".join(_text(v) for k, v in value.items() if k != "//")
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class ApplyEstimate:
    """The estimate: the critical path (seconds and the chain), the parallelism bound, and their maximum."""

    critical_path_seconds: int
    critical_path: tuple[str, ...]
    parallel_bound_seconds: int
    ceiling_path_seconds: int

    @property
    def seconds(self) -> int:
        return max(self.critical_path_seconds, self.parallel_bound_seconds)


def estimate_apply(config: Mapping, parallelism: int = PARALLELISM) -> ApplyEstimate:
    """Estimate the first apply of ``config`` (a synthesized ``cdk.tf.json``)."""
    graph = dependency_graph(config)

    def longest(weight) -> tuple[int, tuple[str, ...]]:
        @cache
        def finish(address: str) -> tuple[int, tuple[str, ...]]:
            before = max((finish(d) for d in graph[address]), default=(0, ()))
            return before[0] + weight(address), (*before[1], address)

        return max((finish(a) for a in graph), default=(0, ()))

    def typical(address: str) -> int:
        return creation_time(address.split(".")[0]).typical

    def ceiling(address: str) -> int:
        spec = creation_time(address.split(".")[0])
        return spec.ceiling or spec.typical

    seconds, path = longest(typical)
    ceiling_seconds, _ = longest(ceiling)
    total = sum(typical(a) for a in graph)
    return ApplyEstimate(seconds, path, -(-total // parallelism), ceiling_seconds)
