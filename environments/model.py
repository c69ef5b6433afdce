"""The typed definition of one deployment environment.

Every knob a stack needs lives here as validated data; constructs receive the values, never the
environment's name, so nothing deep in a stack asks "which environment am I in?".
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import struct
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from etl.ingest.arrivals import PARTNER_ROUTES

# CloudWatch Logs accepts only these retention periods (days).
CLOUDWATCH_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)
ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9]{1,9}$")
# One Glue job per entry script (modules/processing); sizes may name only these.
JOB_SCRIPTS_DIR = Path(__file__).resolve().parent.parent / "etl" / "jobs"
AWS_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
DOMAIN_NAME = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
IAM_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[A-Za-z0-9_+=,.@/-]+$")
# Key types AWS Transfer Family accepts for service-managed users.
SSH_KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa")
# A partner network wider than this is the internet, not a partner.
WIDEST_PARTNER_PREFIX = 16


def _ssh_public_key(text: str) -> str:
    """An OpenSSH public key line whose base64 body really holds a key of the type it names."""
    parts = text.split()
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
        raise ValueError(f"an SSH public key starts with one of {', '.join(SSH_KEY_TYPES)} and its base64 body")
    try:
        blob = base64.b64decode(parts[1], validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        embedded = blob[4 : 4 + length].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError):
        raise ValueError("the key body is not a base64 OpenSSH public key; paste the whole .pub line") from None
    if embedded != parts[0]:
        raise ValueError(f"the key body holds a {embedded!r} key, not {parts[0]!r}")
    return text


SshPublicKey = Annotated[str, AfterValidator(_ssh_public_key)]
RoleArn = Annotated[str, Field(pattern=ROLE_ARN.pattern)]


class Tier(StrEnum):
    """How critical an environment is; production carries stricter mandatory settings."""

    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"

    @property
    def rank(self) -> int:
        """Promotion never goes from a more critical tier to a less critical one."""
        return list(Tier).index(self)


class NatStrategy(StrEnum):
    """How private subnets reach the internet: one shared NAT gateway, or one per AZ for resilience."""

    SINGLE = "single"
    PER_AZ = "per_az"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StateBackend(_Section):
    """Where Terraform keeps this environment's state (S3, encrypted) and its lock (DynamoDB)."""

    bucket: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    lock_table: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{3,255}$")]
    region: Annotated[str, Field(pattern=AWS_REGION.pattern)] = "eu-west-2"
    # Created by scripts/bootstrap_state.py in each account; the alias keeps the backend independent of key ids.
    kms_key_alias: Annotated[str, Field(pattern=r"^alias/[A-Za-z0-9/_-]+$")] = "alias/northwind-terraform-state"


class Tags(_Section):
    """Mandatory cost and ownership tags applied to every resource through the provider's default tags."""

    owner: Annotated[str, Field(min_length=2, pattern=r"^[a-z0-9-]+$")]
    cost_center: Annotated[str, Field(min_length=2, pattern=r"^[A-Za-z0-9-]+$")]


class Network(_Section):
    """VPC shape: CIDR, how many AZs, the NAT strategy and flow-log retention."""

    vpc_cidr: ipaddress.IPv4Network
    az_count: Annotated[int, Field(ge=2, le=3)] = 2
    nat_strategy: NatStrategy = NatStrategy.SINGLE
    flow_log_retention_days: int = 90

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_size(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not 16 <= cidr.prefixlen <= 20:
            raise ValueError(f"{cidr} must be between a /16 and a /20 to hold 3 tiers of subnets in 3 AZs")
        if not cidr.is_private:
            raise ValueError(f"{cidr} is not a private (RFC 1918) range")
        return cidr


class Compute(_Section):
    """The analytics service's EC2 Auto Scaling tier behind an internet-facing load balancer.

    ``certificate_domain`` is the service's public name; its ACM certificate is issued and validated outside this
    stack and looked up by that name, so a plan fails early when it is missing
    (docs/adr/0022-compute-tier-behind-an-https-load-balancer.md). ``service_package``,
    ``service_version`` and ``service_app`` say what the instances install from the artifacts wheelhouse and
    run; changing the version rolls the fleet through an instance refresh.
    """

    instance_type: str = "t3.small"
    min_size: Annotated[int, Field(ge=1)] = 1
    max_size: Annotated[int, Field(ge=1)] = 2
    target_cpu_percent: Annotated[int, Field(ge=10, le=90)] = 60
    health_check_path: Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]*$")] = "/health"
    service_port: Annotated[int, Field(ge=1024, le=65535)] = 8080
    certificate_domain: Annotated[str, Field(max_length=253, pattern=DOMAIN_NAME.pattern)]
    load_balancer_deletion_protection: bool = False
    # The WAF blocks a client IP sending more requests than this in any 5 minutes.
    requests_per_ip_per_5_minutes: Annotated[int, Field(ge=10)] = 2000
    service_package: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*[a-z0-9]$")] = "northwind-analytics"
    service_version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")] = "0.3.2"
    service_app: Annotated[str, Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")] = "northwind_analytics.api:app"
    # Seconds the load balancer keeps an idle connection open, to clients and to the instances; the service's
    # keep-alive (analytics_api.keep_alive_seconds) must be longer, or the balancer reuses closed connections.
    load_balancer_idle_timeout_seconds: Annotated[int, Field(ge=1, le=4000)] = 60

    @model_validator(mode="after")
    def _sizes(self) -> Compute:
        if self.max_size < self.min_size:
            raise ValueError(f"max_size ({self.max_size}) is below min_size ({self.min_size})")
        return self


HTTPS_URL = r"^https://[A-Za-z0-9.-]+(:\d+)?(/[\w./~%-]*)?$"


class IdentityProvider(_Section):
    """The workforce identity provider (OpenID Connect) whose access tokens the analytics API accepts.

    ``issuer`` is the tokens' ``iss``, ``audience`` their ``aud`` (the API's identifier registered there) and
    ``jwks_url`` where its signing keys are published
    (docs/adr/0085-analytics-api-callers-authenticated-with-oidc-tokens.md).
    """

    issuer: Annotated[str, Field(pattern=HTTPS_URL)]
    audience: Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[\w:/.-]+$")]
    jwks_url: Annotated[str, Field(pattern=HTTPS_URL)]


class AnalyticsApi(_Section):
    """How the analytics service runs on each instance
    (docs/adr/0086-analytics-api-runtime-behind-the-load-balancer.md).

    The database pool is per worker: the fleet opens at most instances x vCPUs x ``workers_per_vcpu`` x
    ``db_pool_max_size`` connections. So is the response cache: each worker keeps at most
    ``response_cache_bytes`` of responses (0 keeps none) and reads the serving versions every
    ``response_cache_refresh_seconds`` (docs/adr/0110-analytics-api-response-cache.md).
    """

    identity_provider: IdentityProvider
    workers_per_vcpu: Annotated[int, Field(ge=1, le=4)] = 1
    keep_alive_seconds: Annotated[int, Field(ge=2, le=4100)] = 75
    db_pool_min_size: Annotated[int, Field(ge=0, le=50)] = 1
    db_pool_max_size: Annotated[int, Field(ge=1, le=50)] = 8
    db_pool_wait_seconds: Annotated[float, Field(gt=0, le=30)] = 2.0
    db_statement_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 5.0
    response_cache_bytes: Annotated[int, Field(ge=0, le=1024 * 1024 * 1024)] = 32 * 1024 * 1024
    response_cache_refresh_seconds: Annotated[float, Field(gt=0, le=60)] = 5.0

    @model_validator(mode="after")
    def _pool(self) -> AnalyticsApi:
        if self.db_pool_min_size > self.db_pool_max_size:
            raise ValueError(
                f"db_pool_min_size ({self.db_pool_min_size}) exceeds db_pool_max_size ({self.db_pool_max_size})"
            )
        return self


class Database(_Section):
    """The RDS PostgreSQL serving database.

    ``engine_version`` is a major version ("18"): with automatic minor upgrades on, RDS picks and patches the
    minor, and pinning one would make Terraform fight every upgrade
    (docs/adr/0020-serving-database-postgresql-major-version.md).
    """

    instance_class: str = "db.t4g.medium"
    engine_version: Annotated[str, Field(pattern=r"^1[6-9]$")] = "18"
    allocated_storage_gib: Annotated[int, Field(ge=20)] = 20
    max_allocated_storage_gib: Annotated[int, Field(ge=20)] = 100
    multi_az: bool = False
    backup_retention_days: Annotated[int, Field(ge=1, le=35)] = 7
    deletion_protection: bool = False
    performance_insights_retention_days: int = 7
    monitoring_interval_seconds: int = 60

    @model_validator(mode="after")
    def _rds_accepted_values(self) -> Database:
        if self.max_allocated_storage_gib < self.allocated_storage_gib:
            raise ValueError(
                f"max_allocated_storage_gib ({self.max_allocated_storage_gib}) is below allocated_storage_gib "
                f"({self.allocated_storage_gib})"
            )
        # Performance Insights keeps 7 days free, or whole months (31 x 1..23 days), or 2 years (731).
        days = self.performance_insights_retention_days
        if days not in (7, 731) and not (days % 31 == 0 and 31 <= days <= 713):
            raise ValueError(f"performance_insights_retention_days={days}: use 7, 31 x N (N <= 23) or 731")
        if self.monitoring_interval_seconds not in (1, 5, 10, 15, 30, 60):
            raise ValueError(
                f"monitoring_interval_seconds={self.monitoring_interval_seconds}: use 1, 5, 10, 15, 30 or 60"
            )
        return self


class RetentionCaps(_Section):
    """The longest this environment keeps any dataset's objects in each zone, in days.

    How long each zone keeps a dataset is the data contract's decision (``etl/contracts/*.yaml``); an
    environment may only shorten it, e.g. a test environment holding copies keeps them briefly. Unset: the
    contracts' own retention applies.
    """

    raw_days: Annotated[int, Field(ge=1)] | None = None
    curated_days: Annotated[int, Field(ge=1)] | None = None
    quarantine_days: Annotated[int, Field(ge=1)] | None = None

    def by_zone(self) -> dict[str, int | None]:
        """zone -> cap in days (None: no cap)."""
        return {"raw": self.raw_days, "curated": self.curated_days, "quarantine": self.quarantine_days}


class DataLake(_Section):
    """Lake lifecycle: storage-class transitions, caps on the contracts' retention, version and log expiry."""

    raw_transition_to_ia_days: Annotated[int, Field(ge=30)] = 30
    raw_transition_to_glacier_days: Annotated[int, Field(ge=60)] = 90
    retention_caps: RetentionCaps = RetentionCaps()
    noncurrent_version_expiry_days: Annotated[int, Field(ge=1)] = 30
    access_log_expiry_days: Annotated[int, Field(ge=1)] = 365
    replicate_critical_zones: bool = False
    replica_region: Annotated[str, Field(pattern=AWS_REGION.pattern)] = "eu-west-1"


class SftpPartner(_Section):
    """A partner that delivers files over SFTP (docs/adr/0065-sftp-endpoint-and-partner-access.md).

    ``ssh_public_keys`` are the partner's OpenSSH public keys (the private halves never leave the partner);
    ``allowed_cidrs`` the networks it connects from: the server's security group admits port 22 from these only.
    """

    ssh_public_keys: Annotated[tuple[SshPublicKey, ...], Field(min_length=1, max_length=50)]
    allowed_cidrs: Annotated[tuple[ipaddress.IPv4Network, ...], Field(min_length=1, max_length=20)]

    @field_validator("allowed_cidrs")
    @classmethod
    def _partner_networks(cls, cidrs: tuple[ipaddress.IPv4Network, ...]) -> tuple[ipaddress.IPv4Network, ...]:
        for cidr in cidrs:
            if cidr.prefixlen < WIDEST_PARTNER_PREFIX:
                raise ValueError(
                    f"{cidr} is wider than a /{WIDEST_PARTNER_PREFIX}; list the partner's own egress networks"
                )
        return cidrs


class Transfer(_Section):
    """The environment's SFTP server and the partners that deliver to it; each partner name is a folder the
    arrival landing routes (``etl.ingest.arrivals.PARTNER_ROUTES``).

    ``incoming_expiry_days`` removes uploads that were never processed (an abandoned partial upload);
    ``rejected_expiry_days`` is how long rejected files are kept for the partner to be told and redeliver.
    """

    partners: Annotated[dict[str, SftpPartner], Field(min_length=1)]
    incoming_expiry_days: Annotated[int, Field(ge=1, le=30)] = 7
    rejected_expiry_days: Annotated[int, Field(ge=7, le=90)] = 30

    @field_validator("partners")
    @classmethod
    def _known_partners(cls, partners: dict[str, SftpPartner]) -> dict[str, SftpPartner]:
        unknown = sorted(set(partners) - set(PARTNER_ROUTES))
        if unknown:
            known = ", ".join(sorted(PARTNER_ROUTES))
            raise ValueError(f"unknown partner(s) {', '.join(unknown)}; the arrival landing routes {known}")
        return partners


class Clickstream(_Section):
    """The clickstream delivery stream (docs/adr/0067-clickstream-through-firehose-direct-put.md).

    ``producer_role_arns`` are the web shop's roles allowed to assume the producer role, the only principal
    that may put records. Firehose writes an object when ``buffer_interval_seconds`` pass or
    ``buffer_size_mib`` accumulate, whichever comes first.
    """

    producer_role_arns: Annotated[tuple[RoleArn, ...], Field(min_length=1)]
    buffer_interval_seconds: Annotated[int, Field(ge=60, le=900)] = 900
    buffer_size_mib: Annotated[int, Field(ge=1, le=128)] = 128


class Valuation(_Section):
    """The vehicle valuation enrichment: what the RapidAPI subscription allows and costs.

    ``monthly_call_budget`` caps the calls of a calendar month (UTC) across runs and is what the budget alarm
    measures (at 80 %); ``run_call_budget`` caps one run; ``cost_per_call_usd`` prices the estimated-cost metric.
    """

    monthly_call_budget: Annotated[int, Field(ge=1)] = 1000
    run_call_budget: Annotated[int, Field(ge=1)] = 100
    cost_per_call_usd: Annotated[float, Field(ge=0)] = 0.01

    @model_validator(mode="after")
    def _run_within_month(self) -> Valuation:
        if self.run_call_budget > self.monthly_call_budget:
            raise ValueError(
                f"run_call_budget ({self.run_call_budget}) exceeds monthly_call_budget ({self.monthly_call_budget})"
            )
        return self


class Backup(_Section):
    """AWS Backup plan for the database and the critical buckets."""

    daily_retention_days: Annotated[int, Field(ge=1)] = 7
    monthly_retention_days: Annotated[int, Field(ge=30)] = 90


class SubscriptionProtocol(StrEnum):
    """How the alert topic delivers to a subscriber (SNS protocols a person or a pager receives)."""

    EMAIL = "email"
    HTTPS = "https"


class AlertSubscription(_Section):
    """One receiver of the environment's alert topic (a team mailbox, an on-call pager's HTTPS endpoint)."""

    protocol: SubscriptionProtocol
    endpoint: Annotated[str, Field(min_length=3)]

    @model_validator(mode="after")
    def _endpoint_matches_protocol(self) -> AlertSubscription:
        if self.protocol is SubscriptionProtocol.EMAIL and not EMAIL.match(self.endpoint):
            raise ValueError(f"{self.endpoint!r} is not an e-mail address")
        if self.protocol is SubscriptionProtocol.HTTPS and not self.endpoint.startswith("https://"):
            raise ValueError(f"{self.endpoint!r} is not an https:// URL")
        return self


class Alarms(_Section):
    """Alarm thresholds and the alert topic's subscribers; the alarms themselves are the same everywhere."""

    rds_cpu_percent: Annotated[int, Field(ge=1, le=100)] = 80
    rds_free_storage_gib: Annotated[int, Field(ge=1)] = 5
    rds_max_connections: Annotated[int, Field(ge=1)] = 80
    alb_5xx_per_5_minutes: Annotated[int, Field(ge=1)] = 10
    # Targets the load balancer may report unhealthy at once before alerting.
    alb_unhealthy_targets: Annotated[int, Field(ge=1)] = 1
    # Consecutive 5-minute periods a metric must breach before an alarm fires.
    evaluation_periods: Annotated[int, Field(ge=1, le=12)] = 2
    # Where the alert topic delivers: alarms, findings and the delivery approvals. At least one, in every
    # environment, so nothing published to the topic reaches nobody.
    subscriptions: Annotated[tuple[AlertSubscription, ...], Field(min_length=1)]


class AccountBaseline(_Section):
    """What the account bootstrap (``make account-bootstrap``) creates once per account, before any stack:
    the workforce identity provider persona roles trust, the break-glass role, and the permissions boundary
    every role of the stacks carries (docs/adr/0075-account-bootstrap-outside-the-stacks.md)."""

    saml_provider_name: Annotated[str, Field(pattern=r"^[\w._-]{1,128}$")] = "northwind-workforce"
    break_glass_role_name: Annotated[str, Field(pattern=IAM_NAME.pattern)] = "northwind-break-glass"
    permissions_boundary_name: Annotated[str, Field(pattern=r"^[\w+=,.@-]{1,128}$")] = "northwind-workload-boundary"


class DetectiveControlsMode(StrEnum):
    """Where the account-level detective controls are switched on.

    ``account``: this stack enables CloudTrail, Security Hub, GuardDuty and IAM Access Analyzer in its own
    account. ``organization``: a security account enables them for every member account as delegated
    administrator; this stack keeps only what is its own
    (docs/adr/0078-detective-controls-per-account-or-organization.md).
    """

    ACCOUNT = "account"
    ORGANIZATION = "organization"


class DetectiveControls(_Section):
    """CloudTrail, AWS Config, Security Hub, GuardDuty and IAM Access Analyzer, and where findings go."""

    mode: DetectiveControlsMode = DetectiveControlsMode.ACCOUNT
    # How long the audit bucket keeps CloudTrail logs and Config history (S3 lifecycle).
    audit_retention_days: Annotated[int, Field(ge=365)] = 731


class AdHocQueries(_Section):
    """Ad-hoc SQL over the curated zone through the analytics Athena workgroup
    (docs/adr/0062-athena-for-ad-hoc-queries.md): the most one query may scan before Athena cancels it (at
    $5 per TB scanned, 10 GiB is about 5 cents), and how long results are kept.
    """

    bytes_scanned_cutoff_per_query_gib: Annotated[int, Field(ge=1, le=10_240)] = 10
    results_expiry_days: Annotated[int, Field(ge=1, le=365)] = 30


class JobSizing(_Section):
    """How one Glue job runs: Glue 5.0 worker type and count, timeout, and Glue's own immediate retries."""

    worker_type: Literal["G.1X", "G.2X", "G.4X", "G.8X"] = "G.1X"
    workers: Annotated[int, Field(ge=2, le=100)] = 2
    timeout_minutes: Annotated[int, Field(ge=1, le=2880)] = 60
    # Glue retries at once; scheduled runs retry with backoff (processing.retry_*) instead, so 0 by default.
    max_retries: Annotated[int, Field(ge=0, le=10)] = 0


class Processing(_Section):
    """The Glue jobs and their scheduled pipelines (docs/adr/0051-step-functions-pipelines-from-the-contracts.md).

    ``jobs`` sizes individual jobs by entry-script name (``etl/jobs/<name>.py``); the others get
    ``default_job``. A failed pipeline step is retried ``retry_attempts`` times, first after
    ``retry_interval_seconds``, each wait ``retry_backoff_rate`` times longer.
    """

    default_job: JobSizing = JobSizing()
    jobs: dict[str, JobSizing] = Field(default_factory=dict)
    retry_attempts: Annotated[int, Field(ge=0, le=10)] = 2
    retry_interval_seconds: Annotated[int, Field(ge=1, le=86400)] = 300
    retry_backoff_rate: Annotated[float, Field(ge=1.0, le=10.0)] = 2.0
    catalog_api_base_url: Annotated[str, Field(pattern=r"^https://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?$")] = (
        "https://catalog.northwind.internal/api"
    )

    @field_validator("jobs")
    @classmethod
    def _known_jobs(cls, jobs: dict[str, JobSizing]) -> dict[str, JobSizing]:
        scripts = sorted(p.stem for p in JOB_SCRIPTS_DIR.glob("*.py") if not p.name.startswith("_"))
        unknown = sorted(set(jobs) - set(scripts))
        if unknown:
            raise ValueError(f"no entry script for job(s) {', '.join(unknown)}; jobs are {', '.join(scripts)}")
        return jobs


class AccountDefinition(_Section):
    """What every account the platform applies a stack to has: an id and region, its own state, its tags, and
    the roles Terraform plans and applies with there."""

    account_id: Annotated[str, Field(pattern=r"^\d{12}$")]
    region: Annotated[str, Field(pattern=AWS_REGION.pattern)] = "eu-west-2"
    deploy_role_name: Annotated[str, Field(pattern=IAM_NAME.pattern)] = "northwind-terraform-deploy"
    plan_role_name: Annotated[str, Field(pattern=IAM_NAME.pattern)] = "northwind-terraform-plan"
    tags: Tags
    state: StateBackend
    account: AccountBaseline = AccountBaseline()

    @property
    def break_glass_role_arn(self) -> str:
        """The account bootstrap's break-glass role (MFA only): key administration and repair when all else fails."""
        return f"arn:aws:iam::{self.account_id}:role/{self.account.break_glass_role_name}"

    @property
    def permissions_boundary_arn(self) -> str:
        """The managed policy every role the stack creates carries as its permissions boundary."""
        return f"arn:aws:iam::{self.account_id}:policy/{self.account.permissions_boundary_name}"

    @property
    def saml_provider_arn(self) -> str:
        """The workforce SAML identity provider the persona roles trust."""
        return f"arn:aws:iam::{self.account_id}:saml-provider/{self.account.saml_provider_name}"

    @property
    def deploy_role_arn(self) -> str:
        """The role Terraform applies an approved plan with in this account."""
        return f"arn:aws:iam::{self.account_id}:role/{self.deploy_role_name}"

    @property
    def plan_role_arn(self) -> str:
        """The read-only role Terraform plans with: it reads state and describes resources, changes nothing."""
        return f"arn:aws:iam::{self.account_id}:role/{self.plan_role_name}"

    @property
    def state_kms_key_arn(self) -> str:
        """The customer-managed key the S3 backend encrypts this account's state with (an alias ARN)."""
        return f"arn:aws:kms:{self.state.region}:{self.account_id}:{self.state.kms_key_alias}"

    @property
    def stack_name(self) -> str:
        """Stable stack name from the definition's ``name``; renaming it would orphan the state."""
        return f"northwind-{self.name}"  # every definition names itself: a field, or the delivery constant

    @property
    def state_object_key(self) -> str:
        """The key of the stack's state object in the state bucket."""
        return f"{self.stack_name}/terraform.tfstate"


class EnvironmentConfig(AccountDefinition):
    """One environment (dev, stage, prod, ...), loaded from ``environments/<name>.yaml``."""

    name: Annotated[str, Field(pattern=ENVIRONMENT_NAME.pattern)]
    tier: Tier
    log_retention_days: int = 30
    allow_data_destruction: bool = False
    network: Network
    compute: Compute
    analytics_api: AnalyticsApi
    transfer: Transfer
    clickstream: Clickstream
    database: Database = Database()
    data_lake: DataLake = DataLake()
    backup: Backup = Backup()
    alarms: Alarms
    ad_hoc_queries: AdHocQueries = AdHocQueries()
    processing: Processing = Processing()
    detective_controls: DetectiveControls = DetectiveControls()
    valuation: Valuation = Valuation()

    @property
    def smoke_test_role_name(self) -> str:
        """The role the pipeline's smoke test uses in this account (created by the stack itself)."""
        return f"{self.stack_name}-smoke-test"

    @property
    def smoke_test_role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.smoke_test_role_name}"

    @model_validator(mode="after")
    def _retention_values(self) -> EnvironmentConfig:
        for label, days in (
            ("log_retention_days", self.log_retention_days),
            ("network.flow_log_retention_days", self.network.flow_log_retention_days),
        ):
            if days not in CLOUDWATCH_RETENTION_DAYS:
                allowed = ", ".join(str(d) for d in sorted(CLOUDWATCH_RETENTION_DAYS))
                raise ValueError(f"{label}={days} is not a CloudWatch retention; use one of {allowed}")
        return self

    @model_validator(mode="after")
    def _keep_alive_outlasts_the_load_balancer(self) -> EnvironmentConfig:
        idle, keep_alive = self.compute.load_balancer_idle_timeout_seconds, self.analytics_api.keep_alive_seconds
        if keep_alive <= idle:
            raise ValueError(
                f"analytics_api.keep_alive_seconds ({keep_alive}) must exceed "
                f"compute.load_balancer_idle_timeout_seconds ({idle}): otherwise the service closes connections "
                "the load balancer still reuses (502s)"
            )
        return self

    @model_validator(mode="after")
    def _production_guardrails(self) -> EnvironmentConfig:
        if self.tier is not Tier.PRODUCTION:
            return self
        problems = []
        if not self.database.multi_az:
            problems.append("database.multi_az must be true")
        if not self.database.deletion_protection:
            problems.append("database.deletion_protection must be true")
        if self.database.backup_retention_days < 14:
            problems.append("database.backup_retention_days must be at least 14")
        if self.network.az_count < 3:
            problems.append("network.az_count must be 3")
        if self.network.nat_strategy is not NatStrategy.PER_AZ:
            problems.append("network.nat_strategy must be per_az")
        if self.compute.min_size < 2:
            problems.append("compute.min_size must be at least 2")
        if not self.compute.load_balancer_deletion_protection:
            problems.append("compute.load_balancer_deletion_protection must be true")
        if self.allow_data_destruction:
            problems.append("allow_data_destruction must be false")
        if problems:
            raise ValueError("a production environment requires: " + "; ".join(problems))
        return self


class DeliveryStep(StrEnum):
    """The delivery pipeline's build steps; each runs as its own role in the delivery account."""

    BUILD = "build"
    PLAN = "plan"
    APPLY = "apply"
    SMOKE = "smoke"


class DeliveryConfig(AccountDefinition):
    """The delivery account and its one pipeline, which takes each commit of ``branch`` through the
    environments in ``promotion`` order (docs/adr/0090-one-promotion-pipeline-in-a-delivery-account.md).

    Loaded from ``environments/delivery/delivery.yaml``. ``repository`` is the GitHub ``owner/name`` read
    through the CodeStar connection ``connection_name`` (created by the account bootstrap, activated once in the
    console). ``approvals_email`` subscribes to the approval topic when set; ``alert_subscriptions`` receive
    the pipeline's alerts (an execution failed or stopped, an approval rejected or expired), at least one.
    """

    repository: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")] = "northwind/data-platform"
    branch: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9._/-]+$")] = "main"
    connection_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,32}$")] = "northwind-github"
    promotion: Annotated[tuple[str, ...], Field(min_length=1)]
    build_timeout_minutes: Annotated[int, Field(ge=5, le=2160)] = 60
    log_retention_days: int = 365
    approvals_email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")] | None = None
    alert_subscriptions: Annotated[tuple[AlertSubscription, ...], Field(min_length=1)]

    @property
    def name(self) -> str:
        """The delivery stack's short name, used where environments use theirs (``make plan ENV=delivery``).
        Its deploy role applies the delivery stack itself, by a person, never by the pipeline."""
        return DELIVERY_NAME

    def step_role_name(self, step: DeliveryStep, environment: str | None = None) -> str:
        """``northwind-delivery-<step>[-<env>]``: one role per step and environment, so that no build of one
        environment holds any power over another."""
        if (step is DeliveryStep.BUILD) != (environment is None):
            raise ValueError(f"the {step} step runs {'once' if step is DeliveryStep.BUILD else 'per environment'}")
        return f"{self.stack_name}-{step}" + (f"-{environment}" if environment else "")

    def step_role_arn(self, step: DeliveryStep, environment: str | None = None) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.step_role_name(step, environment)}"

    @model_validator(mode="after")
    def _promotion_values(self) -> DeliveryConfig:
        if self.log_retention_days not in CLOUDWATCH_RETENTION_DAYS:
            raise ValueError(f"log_retention_days={self.log_retention_days} is not a CloudWatch retention")
        repeated = sorted({name for name in self.promotion if self.promotion.count(name) > 1})
        if repeated:
            raise ValueError(f"promotion: {', '.join(repeated)} appear more than once")
        # CodePipeline keeps an artifact under the first 10 characters of its name: plan_<env> must fit.
        too_long = [name for name in self.promotion if len(name) > MAX_PROMOTED_NAME]
        if too_long:
            raise ValueError(
                f"promotion: {', '.join(too_long)} longer than {MAX_PROMOTED_NAME} characters; the pipeline's "
                "artifacts (plan_<env>) must stay distinct in CodePipeline's 10-character artifact folders"
            )
        return self


DELIVERY_NAME = "delivery"
MAX_PROMOTED_NAME = 5
