"""The serving database: RDS for PostgreSQL in the isolated data subnets, reachable only from named clients."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.glue_connection import GlueConnection, GlueConnectionPhysicalConnectionRequirements
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupEgress, SecurityGroupIngress
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.database.props import DatabaseProps
from modules.observability.log_groups import encrypted_log_group
from modules.policy import assume_role_policy

POSTGRES_PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")
# AWS's managed policy is the documented way to let RDS publish OS metrics; it only writes to the
# RDSOSMetrics log group (docs/adr/0021-serving-database-security.md).
ENHANCED_MONITORING_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
# The CA every client verifies against (verify-full); rds-ca-2019 has expired.
CA_CERTIFICATE = "rds-ca-rsa2048-g1"


def rds_ca_bundle_url(region: str) -> str:
    """Where AWS publishes the region's RDS certificate authorities (every current CA, ``CA_CERTIFICATE``
    among them), over HTTPS."""
    return f"https://truststore.pki.rds.amazonaws.com/{region}/{region}-bundle.pem"


# Parameters: TLS only, statements slower than a second, connections, lock waits, DDL and role changes
# (pgaudit). (name, value, apply method): static parameters apply at the next reboot.
PARAMETERS = (
    ("rds.force_ssl", "1", "immediate"),
    ("ssl_min_protocol_version", "TLSv1.2", "immediate"),
    ("log_min_duration_statement", "1000", "immediate"),
    ("log_statement", "ddl", "immediate"),
    ("log_connections", "1", "immediate"),
    ("log_disconnections", "1", "immediate"),
    ("log_lock_waits", "1", "immediate"),
    ("log_temp_files", "10240", "immediate"),
    ("shared_preload_libraries", "pg_stat_statements,pgaudit", "pending-reboot"),
    ("pgaudit.log", "ddl,role", "immediate"),
)


class ServingDatabase(Construct):
    """RDS for PostgreSQL for the aggregated serving tables.

    Clients are admitted by security group only: Glue jobs through the Glue network connection this construct creates
    (``glue_connection``, whose ``glue_security_group`` it admits), anything else through ``admit``.

    The instance's host name is also written to the SSM parameter ``props.address_parameter_name``: clients
    started before the database exists (the analytics instances of a first apply) read it when they first
    connect, so nothing they are launched from waits for the database.

    Exposes ``instance``, ``security_group``, ``glue_security_group``, ``glue_connection``, ``address``,
    ``address_parameter``, ``port``, ``master_user_secret_arn``, ``resource_id``, ``identifier`` and
    ``ca_bundle_url`` (the bundle clients verify the server's certificate against).
    """

    def __init__(self, scope: Construct, construct_id: str, props: DatabaseProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.identifier = props.identifier
        self.port = POSTGRES_PORT
        self.ca_bundle_url = rds_ca_bundle_url(props.region)
        network = props.network
        self.security_group = SecurityGroup(
            self,
            "security-group",
            name=f"{props.identifier}-db",
            description="PostgreSQL from admitted clients only",
            vpc_id=network.vpc_id,
            tags={"Name": f"{props.identifier}-db"},
        )
        self.glue_security_group = self._glue_security_group()
        self.admit("glue-jobs", "Glue jobs", self.glue_security_group.id)

        subnet_group = DbSubnetGroup(
            self,
            "subnet-group",
            name=props.identifier,
            description="Isolated data subnets of the serving database",
            subnet_ids=list(network.data_subnet_ids),
        )
        # A prefix, not a name: create-before-destroy makes the replacement group while the old one still holds
        # the name, and RDS refuses two groups of the same name.
        parameter_group = DbParameterGroup(
            self,
            "parameter-group",
            name_prefix=f"{props.identifier}-{props.parameter_group_family}-",
            family=props.parameter_group_family,
            description="TLS only, slow-statement, connection, lock and audit logging",
            parameter=[
                DbParameterGroupParameter(name=name, value=value, apply_method=method)
                for name, value, method in PARAMETERS
            ],
            lifecycle={"create_before_destroy": True},
        )
        log_groups = [
            encrypted_log_group(
                self,
                f"{export}-log-group",
                name=f"/aws/rds/instance/{props.identifier}/{export}",
                retention_days=props.log_retention_days,
                kms_key_arn=props.logs_kms_key_arn,
            )
            for export in LOG_EXPORTS
        ]
        monitoring_role = IamRole(
            self,
            "monitoring-role",
            name=f"{props.identifier}-monitoring",
            assume_role_policy=assume_role_policy(
                "monitoring.rds.amazonaws.com",
                source_account=props.account_id,
                source_arn=f"arn:aws:rds:{props.region}:{props.account_id}:db:{props.identifier}",
            ),
        )
        monitoring_policy = IamRolePolicyAttachment(
            self, "monitoring-policy", role=monitoring_role.name, policy_arn=ENHANCED_MONITORING_POLICY_ARN
        )

        self.instance = DbInstance(
            self,
            "instance",
            identifier=props.identifier,
            engine="postgres",
            engine_version=props.engine_version,
            # No paid Extended Support behind our backs: a major version past its end of life must be upgraded.
            engine_lifecycle_support="open-source-rds-extended-support-disabled",
            instance_class=props.instance_class,
            db_name=props.database_name,
            username=props.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=props.secrets_kms_key_arn,
            port=POSTGRES_PORT,
            storage_type="gp3",
            allocated_storage=props.allocated_storage_gib,
            max_allocated_storage=props.max_allocated_storage_gib,
            storage_encrypted=True,
            kms_key_id=props.database_kms_key_arn,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            publicly_accessible=False,
            parameter_group_name=parameter_group.name,
            ca_cert_identifier=CA_CERTIFICATE,
            multi_az=props.multi_az,
            backup_retention_period=props.backup_retention_days,
            backup_window="01:00-02:00",
            maintenance_window="sun:02:30-sun:03:30",
            copy_tags_to_snapshot=True,
            deletion_protection=props.deletion_protection,
            skip_final_snapshot=props.skip_final_snapshot,
            final_snapshot_identifier=None if props.skip_final_snapshot else f"{props.identifier}-final",
            delete_automated_backups=props.skip_final_snapshot,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            iam_database_authentication_enabled=True,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=props.database_kms_key_arn,
            performance_insights_retention_period=props.performance_insights_retention_days,
            monitoring_interval=props.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role.arn,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            tags={"Name": props.identifier, "data-classification": props.data_classification.value},
            # RDS checks at creation that the monitoring role grants ENHANCED_MONITORING.
            depends_on=[*log_groups, monitoring_policy],
        )
        self.address = self.instance.address
        # A host name, not a secret: a plain string, readable by whom IAM allows.
        self.address_parameter = SsmParameter(
            self,
            "address-parameter",
            name=props.address_parameter_name,
            description=f"Host name of {props.identifier}, for clients started before it exists",
            type="String",
            tier="Standard",
            value=self.address,
        )
        self.resource_id = self.instance.resource_id
        self.master_user_secret_arn = self.instance.master_user_secret.get(0).secret_arn
        # A network connection: it places the jobs' interfaces next to the database and carries no credentials.
        # The serving load logs in with an IAM token as its own role, and only the bootstrap job reads the master
        # secret (docs/adr/0054-serving-load-login.md).
        self.glue_connection = GlueConnection(
            self,
            "glue-connection",
            name=f"{props.identifier}-network",
            description="Network path of Glue jobs to the serving database (no credentials: IAM logins)",
            connection_type="NETWORK",
            physical_connection_requirements=GlueConnectionPhysicalConnectionRequirements(
                availability_zone=network.glue_availability_zone,
                subnet_id=network.glue_subnet_id,
                security_group_id_list=[self.glue_security_group.id],
            ),
        )

    def _glue_security_group(self) -> SecurityGroup:
        """Glue's network interfaces: Glue requires them to reach each other on every TCP port (``self``)."""
        name = f"{self.props.identifier}-glue"
        return SecurityGroup(
            self,
            "glue-security-group",
            name=name,
            description="Glue job network interfaces of the serving connection",
            vpc_id=self.props.network.vpc_id,
            ingress=[
                SecurityGroupIngress(
                    description="Glue workers talk to each other (Glue requirement)",
                    protocol="tcp",
                    from_port=0,
                    to_port=65535,
                    self_attribute=True,
                )
            ],
            egress=[
                SecurityGroupEgress(
                    description="Glue workers talk to each other (Glue requirement)",
                    protocol="tcp",
                    from_port=0,
                    to_port=65535,
                    self_attribute=True,
                ),
                SecurityGroupEgress(
                    description="PostgreSQL to the serving database",
                    protocol="tcp",
                    from_port=POSTGRES_PORT,
                    to_port=POSTGRES_PORT,
                    security_groups=[self.security_group.id],
                ),
                SecurityGroupEgress(
                    description="HTTPS to AWS endpoints, the RDS CA truststore and the jobs' Python packages",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=["0.0.0.0/0"],
                ),
            ],
            tags={"Name": name},
        )

    def admit(self, client_id: str, client_description: str, security_group_id: str) -> None:
        """Let members of ``security_group_id`` connect on the PostgreSQL port; nothing else gets in."""
        VpcSecurityGroupIngressRule(
            self,
            f"from-{client_id}",
            security_group_id=self.security_group.id,
            description=f"PostgreSQL from {client_description}",
            ip_protocol="tcp",
            from_port=POSTGRES_PORT,
            to_port=POSTGRES_PORT,
            referenced_security_group_id=security_group_id,
        )
