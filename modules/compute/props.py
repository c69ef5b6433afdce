"""Props of the compute tier: the load balancer, the Auto Scaling group and what its instances run."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf import ITerraformDependable

from modules.artifacts import wheelhouse_prefix

# TLS 1.3 and 1.2 only, forward-secret ciphers (AWS's recommended policy for new listeners).
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
_DOMAIN_NAME = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
_ASGI_APP = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


@dataclass(frozen=True)
class ServiceRelease:
    """The analytics service release the instances install and run.

    The user data expects, under ``s3://<wheelhouse_bucket>/<wheelhouse_prefix>``, a pip wheelhouse (``pip
    wheel``) holding the ``package`` wheel at ``version`` and every dependency wheel, ``uvicorn`` included; it
    installs from there alone (``--no-index``), so instances need no package index.

    Attributes:
        package: the distribution name, e.g. ``northwind-analytics``.
        version: the exact version installed (``package==version``).
        app: the ASGI application uvicorn serves, ``module:attribute``.
        wheelhouse_bucket: the artifacts bucket.
        wheelhouse_hash: the content hash of the wheelhouse's inputs (``modules.artifacts``); the delivery
            pipeline publishes the wheelhouse under it (``make publish-wheelhouse``).
        database_user: the PostgreSQL role the service logs in as with an IAM token. Default:
            "analytics_service".
    """

    package: str
    version: str
    app: str
    wheelhouse_bucket: str
    wheelhouse_hash: str
    database_user: str = "analytics_service"

    def __post_init__(self) -> None:
        if not _SEMVER.match(self.version):
            raise ValueError(f"ServiceRelease.version={self.version!r}: use an exact version such as 1.4.2")
        if not _ASGI_APP.match(self.app):
            raise ValueError(f"ServiceRelease.app={self.app!r}: give the ASGI app as module:attribute")

    @property
    def service_name(self) -> str:
        """The systemd unit and system user name."""
        return self.package

    @property
    def wheelhouse_prefix(self) -> str:
        """``services/<package>/<version>/<hash>/``: one immutable folder per release and content."""
        return wheelhouse_prefix(self.package, self.version, self.wheelhouse_hash)


@dataclass(frozen=True)
class ServiceRuntime:
    """How the service runs on each instance, and whose tokens it accepts; nothing here is a secret.

    Attributes:
        identity_issuer: the identity provider's issuer (the tokens' ``iss``), https.
        identity_audience: the API's identifier at the provider (the tokens' ``aud``).
        identity_jwks_url: where the provider publishes its signing keys, https.
        trusted_proxy_cidrs: the load balancer's subnets; ``X-Forwarded-*`` headers are believed only from
            addresses in them.
        workers_per_vcpu: uvicorn worker processes per vCPU of the instance. Default: 1.
        keep_alive_seconds: how long the service keeps an idle connection open; longer than the load
            balancer's idle timeout, so the balancer never reuses a connection the service closed. Default: 75.
        db_pool_min_size: connections each worker keeps open. Default: 1.
        db_pool_max_size: connections each worker may open. Default: 8.
        db_pool_wait_seconds: how long a request waits for a free connection before a 503. Default: 2.0.
        db_statement_timeout_seconds: the database session's statement timeout. Default: 5.0.
        response_cache_bytes: responses each worker keeps in memory, in bytes (0 keeps none). Default: 33554432.
        response_cache_refresh_seconds: how often each worker reads the serving versions. Default: 5.0.
    """

    identity_issuer: str
    identity_audience: str
    identity_jwks_url: str
    trusted_proxy_cidrs: tuple[str, ...]
    workers_per_vcpu: int = 1
    keep_alive_seconds: int = 75
    db_pool_min_size: int = 1
    db_pool_max_size: int = 8
    db_pool_wait_seconds: float = 2.0
    db_statement_timeout_seconds: float = 5.0
    response_cache_bytes: int = 33554432
    response_cache_refresh_seconds: float = 5.0

    def __post_init__(self) -> None:
        for name in ("identity_issuer", "identity_jwks_url"):
            if not getattr(self, name).startswith("https://"):
                raise ValueError(f"ServiceRuntime.{name} must be an https:// URL")
        if not self.trusted_proxy_cidrs:
            raise ValueError("ServiceRuntime.trusted_proxy_cidrs: name the load balancer's subnets")
        if self.workers_per_vcpu < 1:
            raise ValueError("ServiceRuntime.workers_per_vcpu must be at least 1")

    @property
    def environment(self) -> dict[str, str]:
        """The service's settings as the variables it reads (``northwind_analytics.settings``)."""
        return {
            "NORTHWIND_AUTH_ISSUER": self.identity_issuer,
            "NORTHWIND_AUTH_AUDIENCE": self.identity_audience,
            "NORTHWIND_AUTH_JWKS_URL": self.identity_jwks_url,
            "NORTHWIND_DB_POOL_MIN_SIZE": str(self.db_pool_min_size),
            "NORTHWIND_DB_POOL_MAX_SIZE": str(self.db_pool_max_size),
            "NORTHWIND_DB_POOL_WAIT_SECONDS": f"{self.db_pool_wait_seconds:g}",
            "NORTHWIND_DB_STATEMENT_TIMEOUT_SECONDS": f"{self.db_statement_timeout_seconds:g}",
            "NORTHWIND_RESPONSE_CACHE_BYTES": str(self.response_cache_bytes),
            "NORTHWIND_RESPONSE_CACHE_REFRESH_SECONDS": f"{self.response_cache_refresh_seconds:g}",
        }


@dataclass(frozen=True)
class DatabaseEndpoint:
    """How instances reach the serving database.

    Attributes:
        address_parameter: the SSM parameter holding the database's host name. The service reads it when it
            first connects (and again every few minutes), not the boot script: instances need not wait for the
            database, and the service's readiness, not its liveness, says when the database is there.
        port: PostgreSQL port.
        name: database name.
        security_group_id: the database's security group (the instances' only PostgreSQL egress).
        ca_bundle_url: the HTTPS URL of the certificate authorities the instances verify the database against.
    """

    address_parameter: str
    port: int
    name: str
    security_group_id: str
    ca_bundle_url: str


@dataclass(frozen=True)
class ComputeProps:
    """Inputs of ``ComputeTier``.

    Secure settings are imposed, not offered: IMDSv2 only with a hop limit of 1, encrypted gp3 volumes with the
    EBS key, no public IP, no key pair and no port 22 (Session Manager), TLS 1.2+ at the load balancer with
    HTTP redirected, invalid headers dropped, access logs on, TLS between load balancer and instances.

    Attributes:
        name_prefix: ``northwind-<env>``; resources are ``<name_prefix>-analytics``.
        vpc_id: the VPC.
        public_subnet_ids: the load balancer's subnets.
        application_subnet_ids: the instances' private subnets.
        instance_type: EC2 instance type (x86_64; the AMI is Amazon Linux 2023 for x86_64).
        min_size: Auto Scaling minimum (and initial) capacity.
        max_size: Auto Scaling maximum capacity (>= min_size).
        target_cpu_percent: average CPU the target-tracking policy holds the group at.
        service_port: port the service listens on (TLS) on each instance.
        health_check_path: the service's health endpoint, probed by the load balancer.
        certificate_domain: the service's public name; the HTTPS listener uses the newest issued ACM certificate
            for it, looked up at plan time (issued outside the stack, so a missing one fails the plan by name).
        access_logs_bucket: bucket receiving the load balancer's access logs.
        load_balancer_deletion_protection: refuse deletion of the load balancer.
        ebs_kms_key_arn: the EBS key of the instances' volumes.
        instance_profile_arn: the instance profile (its role comes from the identity module).
        log_group_name: log group the CloudWatch agent ships the service log to.
        metrics_namespace: CloudWatch namespace of the instances' memory and disk metrics.
        release: ``ServiceRelease``.
        database: ``DatabaseEndpoint``.
        runtime: ``ServiceRuntime``.
        propagated_tags: tags the Auto Scaling group and the launch template put on instances and volumes
            (provider default tags do not reach them). Default: none.
        root_volume_gib: size of the root volume. Default: 20.
        access_logs_prefix: key prefix of the access logs. Default: "alb".
        load_balancer_idle_timeout_seconds: how long the load balancer keeps idle connections open, to clients
            and to targets; shorter than ``runtime.keep_alive_seconds``. Default: 60.
        access_logs_after: what the load balancer is created after: the log bucket's policy, since ELB checks
            it may write there when access logging is switched on. Default: none.
        launch_after: what the Auto Scaling group is created after: what the instances' boot needs reachable
            (their subnets' routes out, the VPC endpoints), which the launch template does not reference, so
            Terraform cannot see it. Default: none.
    """

    name_prefix: str
    vpc_id: str
    public_subnet_ids: tuple[str, ...]
    application_subnet_ids: tuple[str, ...]
    instance_type: str
    min_size: int
    max_size: int
    target_cpu_percent: int
    service_port: int
    health_check_path: str
    certificate_domain: str
    access_logs_bucket: str
    load_balancer_deletion_protection: bool
    ebs_kms_key_arn: str
    instance_profile_arn: str
    log_group_name: str
    metrics_namespace: str
    release: ServiceRelease
    database: DatabaseEndpoint
    runtime: ServiceRuntime
    propagated_tags: Mapping[str, str] = field(default_factory=dict)
    root_volume_gib: int = 20
    access_logs_prefix: str = "alb"
    load_balancer_idle_timeout_seconds: int = 60
    access_logs_after: tuple[ITerraformDependable, ...] = ()
    launch_after: tuple[ITerraformDependable, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.min_size <= self.max_size:
            raise ValueError(f"ComputeProps: need 1 <= min_size ({self.min_size}) <= max_size ({self.max_size})")
        if len(self.public_subnet_ids) < 2 or len(self.application_subnet_ids) < 2:
            raise ValueError("ComputeProps: the load balancer and the instances each need subnets in two AZs")
        if not _DOMAIN_NAME.match(self.certificate_domain):
            raise ValueError(f"ComputeProps.certificate_domain={self.certificate_domain!r} is not a DNS name")
        if not self.health_check_path.startswith("/"):
            raise ValueError("ComputeProps.health_check_path must start with '/'")
        if self.runtime.keep_alive_seconds <= self.load_balancer_idle_timeout_seconds:
            raise ValueError(
                f"ComputeProps: runtime.keep_alive_seconds ({self.runtime.keep_alive_seconds}) must exceed "
                f"load_balancer_idle_timeout_seconds ({self.load_balancer_idle_timeout_seconds}), or the load "
                "balancer reuses connections the service has closed (intermittent 502s)"
            )
        if self.root_volume_gib < 8:
            raise ValueError("ComputeProps.root_volume_gib: Amazon Linux 2023 needs at least 8 GiB")

    @property
    def name(self) -> str:
        """``<name_prefix>-analytics``, the name of the load balancer, group, template and target group."""
        return analytics_group_name(self.name_prefix)


def analytics_group_name(name_prefix: str) -> str:
    """The compute tier's name (load balancer, Auto Scaling group, launch template) for ``name_prefix``."""
    return f"{name_prefix}-analytics"
