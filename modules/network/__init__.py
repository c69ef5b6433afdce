"""VPC with public, private-application and isolated data subnets, NAT, flow logs and VPC endpoints."""

from modules.network.construct import Network
from modules.network.props import DEFAULT_INTERFACE_ENDPOINTS, NatMode, NetworkProps, SubnetPlan, plan_subnets

__all__ = ["DEFAULT_INTERFACE_ENDPOINTS", "NatMode", "Network", "NetworkProps", "SubnetPlan", "plan_subnets"]
