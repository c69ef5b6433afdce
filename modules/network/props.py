"""Props of the network construct."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum


class NatMode(StrEnum):
    """One NAT gateway shared by every AZ, or one per AZ so an AZ outage cannot cut the others off."""

    SINGLE = "single"
    PER_AZ = "per_az"


# Interface endpoints keep AWS API traffic of private workloads off the internet. ssmmessages and
# ec2messages let Session Manager reach instances that have no SSH.
DEFAULT_INTERFACE_ENDPOINTS = (
    "glue",
    "secretsmanager",
    "kms",
    "logs",
    "sts",
    "ssm",
    "ssmmessages",
    "ec2messages",
)


@dataclass(frozen=True)
class NetworkProps:
    """Inputs of ``Network``.

    Attributes:
        name_prefix: ``northwind-<env>``, used in Name tags and resource names.
        account_id: the environment's account (the flow-log role trusts VPC Flow Logs only for it).
        region: the region; endpoint service names are ``com.amazonaws.<region>.<service>``.
        vpc_cidr: the VPC range (a /16 to /20); subnets are carved from it deterministically.
        availability_zones: AZ names, 2 or 3.
        nat_mode: ``NatMode``. Default: one NAT gateway per AZ.
        flow_log_retention_days: CloudWatch retention of the VPC flow logs.
        logs_kms_key_arn: the customer-managed key of the flow-log group.
        interface_endpoints: services that get an interface endpoint. Default: DEFAULT_INTERFACE_ENDPOINTS.
    """

    name_prefix: str
    account_id: str
    region: str
    vpc_cidr: ipaddress.IPv4Network
    availability_zones: tuple[str, ...]
    flow_log_retention_days: int
    logs_kms_key_arn: str
    nat_mode: NatMode = NatMode.PER_AZ
    interface_endpoints: tuple[str, ...] = DEFAULT_INTERFACE_ENDPOINTS

    def __post_init__(self) -> None:
        if not 2 <= len(self.availability_zones) <= 3:
            raise ValueError("NetworkProps.availability_zones: give 2 or 3 availability zones")


@dataclass(frozen=True)
class SubnetPlan:
    """Subnet CIDRs per tier, one per AZ, in AZ order."""

    public: tuple[ipaddress.IPv4Network, ...]
    application: tuple[ipaddress.IPv4Network, ...]
    data: tuple[ipaddress.IPv4Network, ...]


def plan_subnets(vpc_cidr: ipaddress.IPv4Network, az_count: int) -> SubnetPlan:
    """Carve the VPC into quarters (application, data, public, spare) and each quarter into 4 AZ slots.

    The application tier gets the first quarter because it holds the most addresses (instances, endpoints);
    the spare quarter leaves room for a fourth tier without renumbering.
    """
    application, data, public, _spare = vpc_cidr.subnets(prefixlen_diff=2)

    def per_az(block: ipaddress.IPv4Network) -> tuple[ipaddress.IPv4Network, ...]:
        return tuple(block.subnets(prefixlen_diff=2))[:az_count]

    return SubnetPlan(public=per_az(public), application=per_az(application), data=per_az(data))
