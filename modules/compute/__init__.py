"""The compute tier: HTTPS load balancer, Auto Scaling group of private instances, the service they run."""

from modules.compute.access import boot_statements, database_login_statements
from modules.compute.construct import ComputeTier
from modules.compute.firewall import FirewallProps, WebFirewall
from modules.compute.props import (
    TLS_POLICY,
    ComputeProps,
    DatabaseEndpoint,
    ServiceRelease,
    ServiceRuntime,
    analytics_group_name,
)
from modules.compute.user_data import BootSpec, render_user_data, uvicorn_options

__all__ = [
    "TLS_POLICY",
    "BootSpec",
    "ComputeProps",
    "ComputeTier",
    "DatabaseEndpoint",
    "FirewallProps",
    "ServiceRelease",
    "ServiceRuntime",
    "WebFirewall",
    "analytics_group_name",
    "boot_statements",
    "database_login_statements",
    "render_user_data",
    "uvicorn_options",
]
