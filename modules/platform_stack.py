"""One Terraform stack per environment, composed from the capability constructs.

This is the only place that turns an ``EnvironmentConfig`` into construct props; constructs below it see
values, never the environment's name.
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import TerraformOutput, TerraformStack, Token
from cdktf_cdktf_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
from cdktf_cdktf_provider_aws.data_aws_iam_role import DataAwsIamRole
from cdktf_cdktf_provider_aws.data_aws_iam_saml_provider import DataAwsIamSamlProvider
from constructs import Construct

from environments import DeliveryConfig, DeliveryStep, EnvironmentConfig
from etl.contracts import DataContract, all_contracts
from etl.enrich.vehicle_valuation.settings import DEFAULT_BASE_URL
from etl.ingest.arrivals import PARTNER_ROUTES
from etl.jobs.erase_customer import REQUESTS_PREFIX
from etl.lake import ZONES
from etl.serve.connection import SERVING_LOAD_ROLE
from modules.account import mandatory_tags, use_account
from modules.arrivals import ArrivalLanding, ArrivalsProps, FunctionCode
from modules.arrivals.bundle import built_function_bundle
from modules.artifacts import service_wheelhouse_hash
from modules.backup import Backup, BackupProps
from modules.catalog import ZONES_HOLDING_DATASETS, Catalog, CatalogProps, database_name, dataset_tables
from modules.classification import OPERATIONAL, contract_datasets, pii_free_datasets, store_classification
from modules.compute import (
    ComputeProps,
    ComputeTier,
    DatabaseEndpoint,
    FirewallProps,
    ServiceRelease,
    ServiceRuntime,
    WebFirewall,
    analytics_group_name,
    boot_statements,
    database_login_statements,
)
from modules.database import DatabaseNetwork, DatabaseProps, ServingDatabase
from modules.delivery import SMOKE_TEST_JOB, SmokeTestAccess, SmokeTestAccessProps
from modules.detection import ControlScope, DetectionProps, DetectiveControls
from modules.encryption import Encryption, EncryptionProps
from modules.governance import Governance, GovernanceProps, default_grants
from modules.identity import Identity, IdentityProps, Persona, ServiceRole, bound_every_role
from modules.lake import (
    DataLake,
    DataLakeProps,
    LakeReplication,
    LakeRetention,
    contract_retention_days,
    dataset_expiries,
    lake_bucket_name,
)
from modules.naming import name_prefix
from modules.network import NatMode, Network, NetworkProps
from modules.observability import (
    AlarmThresholds,
    AlertSubscriber,
    MonitoredResources,
    Observability,
    ObservabilityProps,
)
from modules.platform_secrets import CATALOG_TOKEN, PLATFORM_SECRETS, PSEUDONYM_KEY, RAPIDAPI_KEY
from modules.policy import Statement
from modules.processing import DatasetSchedule, JobSize, Processing, ProcessingProps, RetryPolicy
from modules.query import AdHocQueries, AdHocQueryProps
from modules.secrets import SecretReaders, Secrets, SecretsProps
from modules.streaming import STAGING_PREFIX, ClickstreamProps, ClickstreamStream
from modules.transfer import PartnerAccess, SecureTransfer, TransferProps
from modules.valuation import ValuationBudget, ValuationBudgetProps

AZ_SUFFIXES = "abc"
# The entry script of the erasure job (etl/jobs/erase_customer.py), which runs as its own role.
ERASURE_JOB = "erase_customer"
# The serving tables aggregate these datasets (sales, customer value, funnel, market indicators); the database
# carries the most sensitive of their classifications.
SERVED_DATASETS = ("orders", "order_lines", "customers", "products", "clickstream_events", "market_indicators")
# Key prefix of the load balancer's access logs in the access-log bucket.
ACCESS_LOGS_PREFIX = "alb"
GIB = 1024**3
# AWS Config records and delivers as its service-linked role, which the account bootstrap ensures.
CONFIG_SERVICE_LINKED_ROLE = "AWSServiceRoleForConfig"


def _observability_props(env: EnvironmentConfig, prefix: str, logs_kms_key_arn: str) -> ObservabilityProps:
    alarms = env.alarms
    return ObservabilityProps(
        name_prefix=prefix,
        account_id=env.account_id,
        region=env.region,
        key_admin_role_arns=(env.deploy_role_arn,),
        break_glass_role_arn=env.break_glass_role_arn,
        key_reader_role_arns=(env.plan_role_arn,),
        logs_kms_key_arn=logs_kms_key_arn,
        log_retention_days=env.log_retention_days,
        thresholds=AlarmThresholds(
            rds_cpu_percent=alarms.rds_cpu_percent,
            rds_free_storage_gib=alarms.rds_free_storage_gib,
            rds_max_connections=alarms.rds_max_connections,
            alb_5xx_per_5_minutes=alarms.alb_5xx_per_5_minutes,
            alb_unhealthy_targets=alarms.alb_unhealthy_targets,
            evaluation_periods=alarms.evaluation_periods,
        ),
        subscribers=tuple(AlertSubscriber(s.protocol.value, s.endpoint) for s in alarms.subscriptions),
    )


class EnvironmentStack(TerraformStack):
    """Everything one environment runs, in one state (see docs/adr/0002-one-stack-per-environment.md).

    ``contracts`` are the datasets the catalog registers tables for; default: every contract in
    ``etl/contracts``, so a new dataset is one contract file.
    """

    def __init__(
        self,
        scope: Construct,
        env: EnvironmentConfig,
        delivery: DeliveryConfig,
        contracts: Mapping[str, DataContract] | None = None,
    ) -> None:
        super().__init__(scope, env.stack_name)
        self.env = env
        self.contracts = all_contracts() if contracts is None else contracts
        prefix = name_prefix(env.name)
        use_account(self, env)
        self._require_account_baseline(env)

        self.encryption = Encryption(
            self,
            "encryption",
            EncryptionProps(
                name_prefix=prefix,
                account_id=env.account_id,
                region=env.region,
                key_admin_role_arns=(env.deploy_role_arn,),
                break_glass_role_arn=env.break_glass_role_arn,
                key_reader_role_arns=(env.plan_role_arn,),
            ),
        )
        self.network = Network(
            self,
            "network",
            NetworkProps(
                name_prefix=prefix,
                account_id=env.account_id,
                region=env.region,
                vpc_cidr=env.network.vpc_cidr,
                availability_zones=tuple(f"{env.region}{s}" for s in AZ_SUFFIXES[: env.network.az_count]),
                nat_mode=NatMode(env.network.nat_strategy.value),
                flow_log_retention_days=env.network.flow_log_retention_days,
                logs_kms_key_arn=self.encryption.key_arn("logs"),
            ),
        )
        TerraformOutput(self, "vpc_id", value=self.network.vpc.id)
        self._build_storage_and_governance(env, prefix)
        self._build_ad_hoc_queries(env, prefix)
        self._build_serving(env, prefix)
        self._build_secrets(env, prefix)
        self._build_processing(env, prefix)
        self._grant_erasure(env, prefix)
        self._build_transfer(env, prefix)
        self._build_clickstream(env, prefix)
        self._build_arrivals(env, prefix)
        self._build_valuation_budget(env, prefix)
        self._build_backup(env, prefix, database_arns=(self.database.instance.arn,))
        self._build_detection(env, prefix)
        self._build_smoke_test_access(env, delivery)

    def _require_account_baseline(self, env: EnvironmentConfig) -> None:
        """What the account bootstrap created, looked up so a plan in an account without it fails early, naming
        it, rather than an apply failing half-way (IAM refuses a trust on a missing identity provider and a role
        with a missing boundary). Every role of the stack carries the boundary: ``self.permissions_boundary``,
        ``self.saml_provider``, ``self.config_service_role``."""
        self.saml_provider = DataAwsIamSamlProvider(self, "workforce-identity-provider", arn=env.saml_provider_arn)
        self.permissions_boundary = bound_every_role(self, env.permissions_boundary_arn)
        self.config_service_role = DataAwsIamRole(self, "config-service-role", name=CONFIG_SERVICE_LINKED_ROLE)

    def _build_storage_and_governance(self, env: EnvironmentConfig, prefix: str) -> None:
        """The lake, catalog, Lake Formation and IAM roles: ``self.lake``, ``self.identity``,
        ``self.governance``, ``self.catalog``."""
        lake_classification = store_classification(contract_datasets())
        lake = env.data_lake
        expiries = dataset_expiries(contract_retention_days(self.contracts), lake.retention_caps.by_zone())
        self.lake = DataLake(
            self,
            "lake",
            DataLakeProps(
                name_prefix=prefix,
                lake_bucket_name=lake_bucket_name(env.name, env.account_id),
                account_id=env.account_id,
                region=env.region,
                lake_kms_key_arn=self.encryption.key_arn("lake"),
                lake_classification=lake_classification,
                retention=LakeRetention(
                    raw_transition_to_ia_days=lake.raw_transition_to_ia_days,
                    raw_transition_to_glacier_days=lake.raw_transition_to_glacier_days,
                    noncurrent_version_expiry_days=lake.noncurrent_version_expiry_days,
                    access_log_expiry_days=lake.access_log_expiry_days,
                    query_results_expiry_days=env.ad_hoc_queries.results_expiry_days,
                    dataset_expiries=expiries,
                ),
                replication=LakeReplication(
                    region=lake.replica_region,
                    key_admin_role_arns=(env.deploy_role_arn,),
                    break_glass_role_arn=env.break_glass_role_arn,
                    key_reader_role_arns=(env.plan_role_arn,),
                )
                if lake.replicate_critical_zones
                else None,
                force_destroy_requested=True,
                allow_data_destruction=env.allow_data_destruction,
            ),
        )
        self.identity = Identity(
            self,
            "identity",
            IdentityProps(
                name_prefix=prefix,
                account_id=env.account_id,
                region=env.region,
                lake_bucket_arn=self.lake.lake_bucket_arn,
                artifacts_bucket_arn=self.lake.artifacts_bucket_arn,
                lake_kms_key_arn=self.encryption.key_arn("lake"),
                secrets_kms_key_arn=self.encryption.key_arn("secrets"),
                pipelines_kms_key_arn=self.encryption.key_arn("pipelines"),
                zone_database_names={zone: database_name(prefix, zone) for zone in ZONES},
                deploy_role_arn=env.deploy_role_arn,
                saml_provider_arn=self.saml_provider.arn,
                session_instance_group=analytics_group_name(prefix),
                instance_readable_datasets=pii_free_datasets(),
            ),
        )
        self.governance = Governance(
            self,
            "governance",
            GovernanceProps(
                admin_arns=(env.deploy_role_arn, self.identity.role_arn(Persona.GOVERNANCE_SECURITY)),
                lake_bucket_arn=self.lake.lake_bucket_arn,
                lake_access_role_arn=self.identity.role_arn(ServiceRole.LAKE_FORMATION_ACCESS),
                grants=default_grants(self.identity.role_arn),
                data_location_principal_arns=(
                    self.identity.role_arn(ServiceRole.GLUE_JOBS),
                    self.identity.role_arn(Persona.DATA_ENGINEER),
                ),
                read_only_admin_arns=(env.plan_role_arn,),
            ),
        )
        self.catalog = Catalog(
            self,
            "catalog",
            CatalogProps(
                name_prefix=prefix,
                lake_bucket_name=self.lake.lake_bucket_name,
                lake_kms_key_arn=self.encryption.key_arn("lake"),
                logs_kms_key_arn=self.encryption.key_arn("logs"),
                zone_classifications={
                    zone: lake_classification if zone in ZONES_HOLDING_DATASETS else OPERATIONAL for zone in ZONES
                },
                zone_tag_key=self.governance.zone_tag_key,
                classification_tag_key=self.governance.classification_tag_key,
                after=(self.governance.settings,),
                tables=dataset_tables(self.contracts, {e.dataset: e.days for e in expiries if e.zone == "quarantine"}),
            ),
        )

    def _build_ad_hoc_queries(self, env: EnvironmentConfig, prefix: str) -> None:
        """The analytics Athena workgroup and its users' access: ``self.queries``."""
        analysts = Persona.ANALYTICS_ENGINEER
        self.queries = AdHocQueries(
            self,
            "queries",
            AdHocQueryProps(
                name_prefix=prefix,
                account_id=env.account_id,
                region=env.region,
                lake_bucket_name=self.lake.lake_bucket_name,
                lake_bucket_arn=self.lake.lake_bucket_arn,
                lake_kms_key_arn=self.encryption.key_arn("lake"),
                bytes_scanned_cutoff_per_query=env.ad_hoc_queries.bytes_scanned_cutoff_per_query_gib * GIB,
                user_role_arns=(self.identity.role_arn(analysts),),
                after=(self.governance.settings,),
            ),
        )
        self.identity.add_policy(analysts, "ad-hoc-queries", self.queries.user_statements())
        TerraformOutput(self, "athena_workgroup_name", value=self.queries.workgroup_name)

    def _build_serving(self, env: EnvironmentConfig, prefix: str) -> None:
        """The serving database, the compute tier and their monitoring: ``self.observability``,
        ``self.database``, ``self.compute``, ``self.firewall``."""
        self.observability = Observability(
            self, "observability", _observability_props(env, prefix, self.encryption.key_arn("logs"))
        )
        self.database = ServingDatabase(self, "database", self._database_props(env, prefix))
        release = ServiceRelease(
            package=env.compute.service_package,
            version=env.compute.service_version,
            app=env.compute.service_app,
            wheelhouse_bucket=self.lake.artifacts_bucket_name,
            wheelhouse_hash=service_wheelhouse_hash(),
        )
        self._grant_serving_access(env, release)
        self.compute = ComputeTier(self, "compute", self._compute_props(env, prefix, release), region=env.region)
        self.firewall = WebFirewall(
            self,
            "firewall",
            FirewallProps(
                name=self.compute.props.name,
                protected_resource_arn=self.compute.load_balancer.arn,
                requests_per_ip_per_5_minutes=env.compute.requests_per_ip_per_5_minutes,
                logs_kms_key_arn=self.encryption.key_arn("logs"),
                log_retention_days=env.log_retention_days,
            ),
        )
        self.database.admit("analytics", "the analytics instances", self.compute.instance_security_group.id)
        self.observability.monitor(
            MonitoredResources(
                database_identifier=self.database.identifier,
                load_balancer_arn_suffix=self.compute.load_balancer.arn_suffix,
                target_group_arn_suffix=self.compute.target_group.arn_suffix,
                autoscaling_group_name=self.compute.autoscaling_group.name,
                autoscaling_min_size=env.compute.min_size,
            )
        )
        for name, value in (
            ("load_balancer_dns_name", self.compute.load_balancer.dns_name),
            ("database_address", self.database.address),
            ("database_master_secret_arn", self.database.master_user_secret_arn),
            ("glue_connection_name", self.database.glue_connection.name),
            ("alert_topic_arn", self.observability.topic.arn),
        ):
            TerraformOutput(self, name, value=value)

    def _database_props(self, env: EnvironmentConfig, prefix: str) -> DatabaseProps:
        database = env.database
        return DatabaseProps(
            name_prefix=prefix,
            account_id=env.account_id,
            region=env.region,
            network=DatabaseNetwork(
                vpc_id=self.network.vpc.id,
                data_subnet_ids=tuple(subnet.id for subnet in self.network.data_subnets),
                glue_subnet_id=self.network.application_subnets[0].id,
                glue_availability_zone=f"{env.region}{AZ_SUFFIXES[0]}",
            ),
            engine_version=database.engine_version,
            instance_class=database.instance_class,
            allocated_storage_gib=database.allocated_storage_gib,
            max_allocated_storage_gib=database.max_allocated_storage_gib,
            multi_az=database.multi_az,
            backup_retention_days=database.backup_retention_days,
            deletion_protection=database.deletion_protection,
            performance_insights_retention_days=database.performance_insights_retention_days,
            monitoring_interval_seconds=database.monitoring_interval_seconds,
            database_kms_key_arn=self.encryption.key_arn("database"),
            secrets_kms_key_arn=self.encryption.key_arn("secrets"),
            logs_kms_key_arn=self.encryption.key_arn("logs"),
            log_retention_days=env.log_retention_days,
            data_classification=store_classification(SERVED_DATASETS),
            skip_final_snapshot_requested=True,
            allow_data_destruction=env.allow_data_destruction,
        )

    def _grant_serving_access(self, env: EnvironmentConfig, release: ServiceRelease) -> None:
        """The instances read their release and log in to the database; the serving bootstrap job (alone) reads
        the database's master secret; the load balancer writes its access logs."""
        instances = ServiceRole.ANALYTICS_INSTANCES
        # What the boot needs names nothing the database creates: it exists before the instances launch
        # (``self.instance_boot_policies``); the login waits for the database, as the service does.
        self.instance_boot_policies = (
            self.identity.add_policy(
                instances,
                "boot",
                boot_statements(release, self.lake.artifacts_bucket_arn, self.database.props.address_parameter_arn),
            ),
            self.identity.grant_log_write(instances, "service-logs", self.observability.service_log_group.arn),
        )
        self.identity.add_policy(
            instances,
            "serving-database",
            database_login_statements(release, env.region, env.account_id, self.database.resource_id),
        )
        self.identity.grant_secret_read(
            ServiceRole.GLUE_SERVING_BOOTSTRAP,
            "serving-database-secret",
            self.database.master_user_secret_arn,
            self.encryption.key_arn("secrets"),
        )
        # ELB delivers as its regional account in regions older than August 2022 (this one) and as its log
        # delivery service elsewhere; only the service sends a source account, and the key path names ours.
        log_path = f"{ACCESS_LOGS_PREFIX}/AWSLogs/{env.account_id}"
        self.lake.access_logs.grant_log_delivery(
            "AllowLoadBalancerAccessLogsFromTheRegionsElbAccount",
            {"AWS": DataAwsElbServiceAccount(self, "elb-service-account").arn},
            log_path,
        )
        self.lake.access_logs.grant_log_delivery(
            "AllowLoadBalancerLogDeliveryService",
            {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
            log_path,
            {
                "ArnLike": {
                    "aws:SourceArn": f"arn:aws:elasticloadbalancing:{env.region}:{env.account_id}:loadbalancer/*"
                }
            },
        )

    def _build_secrets(self, env: EnvironmentConfig, prefix: str) -> None:
        """Every secret the platform reads, readable by the Glue jobs only; DevOps sets the values:
        ``self.secrets``."""
        jobs = self.identity.role_arn(ServiceRole.GLUE_JOBS)
        # The erasure job finds the customer's pseudonymized rows with the key.
        erasure = self.identity.role_arn(ServiceRole.GLUE_ERASURE)
        self.secrets = Secrets(
            self,
            "secrets",
            SecretsProps(
                name_prefix=prefix,
                kms_key_arn=self.encryption.key_arn("secrets"),
                secrets=tuple(
                    SecretReaders(secret, (jobs, erasure) if secret is PSEUDONYM_KEY else (jobs,))
                    for secret in PLATFORM_SECRETS
                ),
                writer_role_arns=(self.identity.role_arn(Persona.DEVOPS_SRE),),
                deletion_requested=True,
                allow_data_destruction=env.allow_data_destruction,
            ),
        )
        for secret in PLATFORM_SECRETS:
            self.identity.grant_secret_read(
                ServiceRole.GLUE_JOBS,
                f"{secret.key}-secret",
                self.secrets.secret_arn(secret.key),
                self.encryption.key_arn("secrets"),
            )
        self.identity.grant_secret_read(
            ServiceRole.GLUE_ERASURE,
            f"{PSEUDONYM_KEY.key}-secret",
            self.secrets.secret_arn(PSEUDONYM_KEY.key),
            self.encryption.key_arn("secrets"),
        )
        self.identity.add_policy(
            Persona.DEVOPS_SRE,
            "secret-values",
            [
                Statement(
                    sid="SetPlatformSecretValues",
                    actions=("secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue"),
                    resources=tuple(self.secrets.secret_arn(secret.key) for secret in PLATFORM_SECRETS),
                ),
                Statement(
                    sid="EncryptSecretValuesThroughSecretsManager",
                    actions=("kms:GenerateDataKey",),
                    resources=(self.encryption.key_arn("secrets"),),
                    conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{env.region}.amazonaws.com"}},
                ),
            ],
        )

    def _build_processing(self, env: EnvironmentConfig, prefix: str) -> None:
        """The Glue jobs, the scheduled pipelines from the contracts and their alarms: ``self.processing``."""
        processing = env.processing
        wiring = {
            "lake_bucket": self.lake.lake_bucket_name,
            "lake_kms_key_id": self.encryption.key_arn("lake"),
            "pseudonym_secret_id": self.secrets.secret_arn(PSEUDONYM_KEY.key),
            "catalog_token_secret_id": self.secrets.secret_arn(CATALOG_TOKEN.key),
            # For the vehicle valuation job: an entry script declaring this argument gets the key's ARN.
            "rapidapi_secret_id": self.secrets.secret_arn(RAPIDAPI_KEY.key),
            "catalog_base_url": processing.catalog_api_base_url,
            "valuation_base_url": DEFAULT_BASE_URL,
            "monthly_call_budget": str(env.valuation.monthly_call_budget),
            "run_call_budget": str(env.valuation.run_call_budget),
            "cost_per_call_usd": str(env.valuation.cost_per_call_usd),
            "metrics_namespace": self.identity.props.pipeline_metrics_namespace,
            "serving_db_host": self.database.address,
            "serving_db_port": Token.as_string(self.database.instance.port),
            "serving_db_name": self.database.instance.db_name,
            "serving_db_user": SERVING_LOAD_ROLE,
            "serving_db_secret_id": self.database.master_user_secret_arn,
            "serving_db_ca_bundle_url": self.database.ca_bundle_url,
            **({"replica_bucket": self.lake.replica_bucket.bucket_name} if self.lake.replica_bucket else {}),
        }
        self.processing = Processing(
            self,
            "processing",
            ProcessingProps(
                name_prefix=prefix,
                region=env.region,
                artifacts_bucket_name=self.lake.artifacts_bucket_name,
                artifacts_kms_key_arn=self.encryption.key_arn("lake"),
                job_role_arn=self.identity.role_arn(ServiceRole.GLUE_JOBS),
                job_roles={
                    "bootstrap_serving": self.identity.role_arn(ServiceRole.GLUE_SERVING_BOOTSTRAP),
                    ERASURE_JOB: self.identity.role_arn(ServiceRole.GLUE_ERASURE),
                },
                security_configuration_name=self.catalog.security_configuration_name,
                logs_kms_key_arn=self.encryption.key_arn("logs"),
                log_retention_days=env.log_retention_days,
                wiring=wiring,
                connection_name=self.database.glue_connection.name,
                connection_arguments=frozenset({"serving_db_host"}),
                default_size=JobSize(**processing.default_job.model_dump()),
                sizes={name: JobSize(**size.model_dump()) for name, size in processing.jobs.items()},
                retry=RetryPolicy(
                    processing.retry_attempts, processing.retry_interval_seconds, processing.retry_backoff_rate
                ),
                datasets=tuple(
                    DatasetSchedule(name, contract.delivery_schedule, contract.freshness_sla_hours)
                    for name, contract in all_contracts().items()
                ),
                pipelines_kms_key_arn=self.encryption.key_arn("pipelines"),
                orchestration_role_arn=self.identity.role_arn(ServiceRole.PIPELINE_ORCHESTRATION),
                scheduler_role_arn=self.identity.role_arn(ServiceRole.PIPELINE_SCHEDULER),
                orchestration_role_after=tuple(self.identity.policies[ServiceRole.PIPELINE_ORCHESTRATION]),
                alert_topic_after=(self.observability.topic_policy,),
                alert_topic_arn=self.observability.topic.arn,
                metrics_namespace=self.identity.props.pipeline_metrics_namespace,
            ),
        )
        self.observability.alert_on_failed_job_runs([job.name for job in self.processing.jobs_outside_pipelines])
        self.identity.add_policy(ServiceRole.GLUE_JOBS, "serving-login", [self._serving_login(env)])

    def _serving_login(self, env: EnvironmentConfig) -> Statement:
        """Logging in to the serving database as the load's own role, with an IAM token."""
        user = f"dbuser:{self.database.resource_id}/{SERVING_LOAD_ROLE}"
        return Statement(
            sid="ConnectToServingDatabaseAsTheLoad",
            actions=("rds-db:connect",),
            resources=(f"arn:aws:rds-db:{env.region}:{env.account_id}:{user}",),
        )

    def _compute_props(self, env: EnvironmentConfig, prefix: str, release: ServiceRelease) -> ComputeProps:
        compute = env.compute
        return ComputeProps(
            name_prefix=prefix,
            vpc_id=self.network.vpc.id,
            public_subnet_ids=tuple(subnet.id for subnet in self.network.public_subnets),
            application_subnet_ids=tuple(subnet.id for subnet in self.network.application_subnets),
            instance_type=compute.instance_type,
            min_size=compute.min_size,
            max_size=compute.max_size,
            target_cpu_percent=compute.target_cpu_percent,
            service_port=compute.service_port,
            health_check_path=compute.health_check_path,
            certificate_domain=compute.certificate_domain,
            access_logs_bucket=self.lake.access_logs_bucket_name,
            access_logs_prefix=ACCESS_LOGS_PREFIX,
            access_logs_after=self.lake.access_logs.delivery_ready,
            load_balancer_deletion_protection=compute.load_balancer_deletion_protection,
            load_balancer_idle_timeout_seconds=compute.load_balancer_idle_timeout_seconds,
            ebs_kms_key_arn=self.encryption.key_arn("ebs"),
            instance_profile_arn=self.identity.instance_profile_arn,
            log_group_name=self.observability.service_log_group.name,
            metrics_namespace=self.identity.props.metrics_namespace,
            release=release,
            # The parameter's name, not the database's address: the instances do not wait for the database.
            database=DatabaseEndpoint(
                address_parameter=self.database.props.address_parameter_name,
                port=self.database.port,
                name=self.database.props.database_name,
                security_group_id=self.database.security_group.id,
                ca_bundle_url=self.database.ca_bundle_url,
            ),
            runtime=self._service_runtime(env),
            propagated_tags=mandatory_tags(env),
            launch_after=(*self.network.application_egress, *self.instance_boot_policies),
        )

    def _service_runtime(self, env: EnvironmentConfig) -> ServiceRuntime:
        api = env.analytics_api
        return ServiceRuntime(
            identity_issuer=api.identity_provider.issuer,
            identity_audience=api.identity_provider.audience,
            identity_jwks_url=api.identity_provider.jwks_url,
            trusted_proxy_cidrs=tuple(str(cidr) for cidr in self.network.subnet_plan.public),
            workers_per_vcpu=api.workers_per_vcpu,
            keep_alive_seconds=api.keep_alive_seconds,
            db_pool_min_size=api.db_pool_min_size,
            db_pool_max_size=api.db_pool_max_size,
            db_pool_wait_seconds=api.db_pool_wait_seconds,
            db_statement_timeout_seconds=api.db_statement_timeout_seconds,
            response_cache_bytes=api.response_cache_bytes,
            response_cache_refresh_seconds=api.response_cache_refresh_seconds,
        )

    def _grant_erasure(self, env: EnvironmentConfig, prefix: str) -> None:
        """The erasure job's access beyond the lake (the replica, its serving login), and the governance persona's
        right to request an erasure and start the job (docs/runbooks/erasure.md)."""
        erasure, region = ServiceRole.GLUE_ERASURE, env.region
        self.identity.add_policy(erasure, "serving-login", [self._serving_login(env)])
        if self.lake.replica_bucket is not None:
            replica = self.lake.replica_bucket_arn
            self.identity.add_policy(
                erasure,
                "replica-versions",
                [
                    Statement(sid="ListReplicaVersions", actions=("s3:ListBucketVersions",), resources=(replica,)),
                    Statement(
                        sid="DeleteReplicaVersions",
                        actions=("s3:DeleteObjectVersion", "s3:GetObjectVersion"),
                        resources=tuple(f"{replica}/{zone}/*" for zone in ("raw", "curated", "quarantine")),
                    ),
                    Statement(
                        sid="DecryptReplicaThroughS3",
                        actions=("kms:Decrypt",),
                        resources=(self.lake.replica_kms_key_arn,),
                        conditions={
                            "StringEquals": {"kms:ViaService": f"s3.{env.data_lake.replica_region}.amazonaws.com"}
                        },
                    ),
                ],
            )
        lake = self.lake.lake_bucket_arn
        job = self.processing.jobs[ERASURE_JOB].arn
        self.identity.add_policy(
            Persona.GOVERNANCE_SECURITY,
            "erasure",
            [
                Statement(sid="RequestErasures", actions=("s3:PutObject",), resources=(f"{lake}/{REQUESTS_PREFIX}*",)),
                Statement(
                    sid="ReadErasureRecords", actions=("s3:GetObject",), resources=(f"{lake}/reports/erasure/*",)
                ),
                Statement(
                    sid="UseLakeKeyThroughS3",
                    actions=("kms:Decrypt", "kms:GenerateDataKey"),
                    resources=(self.encryption.key_arn("lake"),),
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
                ),
                Statement(sid="RunErasures", actions=("glue:GetJobRun", "glue:StartJobRun"), resources=(job,)),
            ],
        )

    def _build_transfer(self, env: EnvironmentConfig, prefix: str) -> None:
        """The SFTP server, its partner users and the transfer bucket they upload to: ``self.transfer``."""
        transfer = env.transfer
        delivered = sorted({dataset for name in transfer.partners for dataset in PARTNER_ROUTES[name].datasets})
        self.transfer = SecureTransfer(
            self,
            "transfer",
            TransferProps(
                name_prefix=prefix,
                account_id=env.account_id,
                region=env.region,
                vpc_id=self.network.vpc.id,
                public_subnet_ids=tuple(subnet.id for subnet in self.network.public_subnets),
                partners=tuple(
                    PartnerAccess(name, partner.ssh_public_keys, partner.allowed_cidrs)
                    for name, partner in sorted(transfer.partners.items())
                ),
                bucket_classification=store_classification(delivered),
                kms_key_arn=self.encryption.key_arn("lake"),
                access_log_bucket=self.lake.access_logs,
                logs_kms_key_arn=self.encryption.key_arn("logs"),
                log_retention_days=env.log_retention_days,
                noncurrent_version_expiry_days=env.data_lake.noncurrent_version_expiry_days,
                incoming_expiry_days=transfer.incoming_expiry_days,
                rejected_expiry_days=transfer.rejected_expiry_days,
                force_destroy=env.allow_data_destruction,
            ),
        )
        for name, value in (
            ("sftp_endpoint", self.transfer.server.endpoint),
            ("sftp_host_key_fingerprint", self.transfer.server.host_key_fingerprint),
        ):
            TerraformOutput(self, name, value=value)
        TerraformOutput(self, "sftp_public_ips", value=[ip.public_ip for ip in self.transfer.elastic_ips])

    def _build_clickstream(self, env: EnvironmentConfig, prefix: str) -> None:
        """The Firehose stream staging clickstream events hourly in the raw zone: ``self.clickstream``."""
        self.clickstream = ClickstreamStream(
            self,
            "clickstream",
            ClickstreamProps(
                name_prefix=prefix,
                account_id=env.account_id,
                region=env.region,
                lake_bucket_arn=self.lake.lake_bucket_arn,
                lake_kms_key_arn=self.encryption.key_arn("lake"),
                logs_kms_key_arn=self.encryption.key_arn("logs"),
                log_retention_days=env.log_retention_days,
                producer_role_arns=env.clickstream.producer_role_arns,
                alert_topic_arn=self.observability.topic.arn,
                buffer_interval_seconds=env.clickstream.buffer_interval_seconds,
                buffer_size_mib=env.clickstream.buffer_size_mib,
            ),
        )
        for name, value in (
            ("clickstream_stream_name", self.clickstream.stream.name),
            ("clickstream_producer_role_arn", self.clickstream.producer_role.arn),
        ):
            TerraformOutput(self, name, value=value)

    def _build_arrivals(self, env: EnvironmentConfig, prefix: str) -> None:
        """The landing function of SFTP arrivals and staged clickstream: ``self.arrivals``."""
        package, package_hash = built_function_bundle()
        self.arrivals = ArrivalLanding(
            self,
            "arrivals",
            ArrivalsProps(
                name_prefix=prefix,
                account_id=env.account_id,
                region=env.region,
                code=FunctionCode(
                    package, package_hash, self.lake.artifacts_bucket_name, self.encryption.key_arn("lake")
                ),
                transfer_bucket_name=self.transfer.bucket_name,
                transfer_bucket_arn=self.transfer.bucket_arn,
                lake_bucket_name=self.lake.lake_bucket_name,
                lake_bucket_arn=self.lake.lake_bucket_arn,
                staging_prefix=STAGING_PREFIX,
                lake_kms_key_arn=self.encryption.key_arn("lake"),
                function_kms_key_arn=self.encryption.key_arn("landing"),
                logs_kms_key_arn=self.encryption.key_arn("logs"),
                log_retention_days=env.log_retention_days,
                subnet_ids=tuple(subnet.id for subnet in self.network.application_subnets),
                vpc_id=self.network.vpc.id,
                s3_prefix_list_id=self.network.s3_prefix_list_id,
                alert_topic_arn=self.observability.topic.arn,
            ),
        )

    def _build_valuation_budget(self, env: EnvironmentConfig, prefix: str) -> None:
        """The alarm at 80 % of the valuation API's monthly call budget: ``self.valuation_budget``."""
        self.valuation_budget = ValuationBudget(
            self,
            "valuation-budget",
            ValuationBudgetProps(
                name_prefix=prefix,
                metrics_namespace=self.identity.props.pipeline_metrics_namespace,
                monthly_call_budget=env.valuation.monthly_call_budget,
                alert_topic_arn=self.observability.topic.arn,
            ),
        )

    def _build_backup(self, env: EnvironmentConfig, prefix: str, database_arns: tuple[str, ...]) -> None:
        """AWS Backup over the lake bucket and ``database_arns``: ``self.backup``."""
        self.backup = Backup(
            self,
            "backup",
            BackupProps(
                name_prefix=prefix,
                account_id=env.account_id,
                region=env.region,
                kms_key_arn=self.encryption.key_arn("backup"),
                classification=store_classification(contract_datasets()),
                daily_retention_days=env.backup.daily_retention_days,
                monthly_retention_days=env.backup.monthly_retention_days,
                protected_resource_arns=(self.lake.lake_bucket_arn, *database_arns),
                force_destroy_requested=True,
                allow_data_destruction=env.allow_data_destruction,
            ),
        )

    def _build_smoke_test_access(self, env: EnvironmentConfig, delivery: DeliveryConfig) -> None:
        """The role the promotion pipeline's smoke test assumes here after each apply (alarms, the curation
        job's dry run): ``self.smoke_test``."""
        self.smoke_test = SmokeTestAccess(
            self,
            "smoke-test",
            SmokeTestAccessProps(
                role_name=env.smoke_test_role_name,
                account_id=env.account_id,
                region=env.region,
                trusted_role_arn=delivery.step_role_arn(DeliveryStep.SMOKE, env.name),
                alarm_prefix=f"{env.stack_name}-",
                dry_run_job_arns=(self.processing.jobs[SMOKE_TEST_JOB].arn,),
            ),
        )

    def _build_detection(self, env: EnvironmentConfig, prefix: str) -> None:
        """CloudTrail, AWS Config, Security Hub, GuardDuty, Access Analyzer and their alerts: ``self.detection``."""
        self.detection = DetectiveControls(
            self,
            "detection",
            DetectionProps(
                name_prefix=prefix,
                account_id=env.account_id,
                region=env.region,
                scope=ControlScope(env.detective_controls.mode.value),
                key_admin_role_arns=(env.deploy_role_arn,),
                key_reader_role_arns=(env.plan_role_arn,),
                break_glass_role_arn=env.break_glass_role_arn,
                config_role_arn=self.config_service_role.arn,
                lake_bucket_arn=self.lake.lake_bucket_arn,
                access_log_bucket=self.lake.access_logs,
                logs_kms_key_arn=self.encryption.key_arn("logs"),
                alert_topic_arn=self.observability.topic.arn,
                audit_retention_days=env.detective_controls.audit_retention_days,
                noncurrent_version_expiry_days=env.data_lake.noncurrent_version_expiry_days,
                alert_topic_after=(self.observability.topic_policy,),
                force_destroy_requested=True,
                allow_data_destruction=env.allow_data_destruction,
            ),
        )
