"""Secure transfer: one SFTP server per environment that partners deliver files to
(docs/adr/0065-sftp-endpoint-and-partner-access.md)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.transfer_server import TransferServer, TransferServerEndpointDetails
from cdktf_cdktf_provider_aws.transfer_ssh_key import TransferSshKey
from cdktf_cdktf_provider_aws.transfer_user import TransferUser, TransferUserHomeDirectoryMappings
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.lake import LifecycleRule, SecureBucket, SecureBucketProps
from modules.naming import resource_name
from modules.observability.log_groups import encrypted_log_group
from modules.policy import Statement, assume_role_policy, policy_json
from modules.transfer.props import SFTP_PORT, PartnerAccess, TransferProps

# Uploads are written under incoming/, rejected files kept under rejected/ (etl.ingest.arrivals).
INCOMING_PREFIX = "incoming/"
REJECTED_PREFIX = "rejected/"
PARTNER_OBJECT_ACTIONS = ("s3:DeleteObject", "s3:GetObject", "s3:PutObject")


class SecureTransfer(Construct):
    """An SFTP-only Transfer Family server with an internet-facing VPC endpoint: one Elastic IP per public
    subnet, a security group that admits port 22 only from each partner's networks, the current SSH security
    policy and structured JSON logs in a KMS-encrypted log group. Service-managed users, one per partner, sign
    in with SSH keys and see only their own ``incoming/<partner>/`` folder of the transfer bucket (a logical
    home directory), through a partner role scoped to ``incoming/`` and a session policy scoped to the
    partner's folder.

    Exposes ``bucket`` (the ``SecureBucket``), ``bucket_name``, ``bucket_arn``, ``server``, ``log_group``,
    ``elastic_ips``, ``security_group`` and ``users`` (partner name -> ``TransferUser``).
    """

    def __init__(self, scope: Construct, construct_id: str, props: TransferProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.bucket = SecureBucket(
            self,
            "bucket",
            SecureBucketProps(
                bucket_name=props.bucket_name,
                account_id=props.account_id,
                classification=props.bucket_classification,
                kms_key_arn=props.kms_key_arn,
                noncurrent_version_expiry_days=props.noncurrent_version_expiry_days,
                abort_incomplete_multipart_days=7,
                access_log_bucket=props.access_log_bucket,
                lifecycle_rules=(
                    LifecycleRule(
                        "expire-unprocessed-uploads", INCOMING_PREFIX, expiration_days=props.incoming_expiry_days
                    ),
                    LifecycleRule("expire-rejected-files", REJECTED_PREFIX, expiration_days=props.rejected_expiry_days),
                ),
                force_destroy=props.force_destroy,
            ),
        )
        self.bucket_name: str = self.bucket.bucket_name
        self.bucket_arn: str = self.bucket.bucket_arn
        self.log_group = encrypted_log_group(
            self,
            "log-group",
            name=props.log_group_name,
            retention_days=props.log_retention_days,
            kms_key_arn=props.logs_kms_key_arn,
        )
        self._admit_log_delivery()
        self.elastic_ips = [
            Eip(self, f"endpoint-ip-{index}", domain="vpc", tags={"Name": f"{props.name_prefix}-sftp-{index}"})
            for index, _ in enumerate(props.public_subnet_ids)
        ]
        self.security_group = self._security_group()
        self.server = TransferServer(
            self,
            "server",
            protocols=["SFTP"],
            identity_provider_type="SERVICE_MANAGED",
            endpoint_type="VPC",
            endpoint_details=TransferServerEndpointDetails(
                vpc_id=props.vpc_id,
                subnet_ids=list(props.public_subnet_ids),
                address_allocation_ids=[ip.allocation_id for ip in self.elastic_ips],
                security_group_ids=[self.security_group.id],
            ),
            security_policy_name=props.security_policy_name,
            structured_log_destinations=[f"{self.log_group.arn}:*"],
            tags={"Name": f"{props.name_prefix}-sftp"},
        )
        role = self._partner_role()
        self.users: dict[str, TransferUser] = {partner.name: self._user(partner, role) for partner in props.partners}

    def _admit_log_delivery(self) -> None:
        """CloudWatch's log delivery writes the server's structured logs; admitted for this group only."""
        props = self.props
        CloudwatchLogResourcePolicy(
            self,
            "log-delivery-policy",
            policy_name=resource_name(props.name_prefix, "transfer-log-delivery"),
            policy_document=policy_json(
                [
                    Statement(
                        sid="TransferStructuredLogs",
                        principals={"Service": "delivery.logs.amazonaws.com"},
                        actions=("logs:CreateLogStream", "logs:PutLogEvents"),
                        resources=(f"{self.log_group.arn}:log-stream:*",),
                        conditions={
                            "StringEquals": {"aws:SourceAccount": props.account_id},
                            "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{props.region}:{props.account_id}:*"},
                        },
                    )
                ]
            ),
        )

    def _security_group(self) -> SecurityGroup:
        props = self.props
        group = SecurityGroup(
            self,
            "endpoint-sg",
            name=resource_name(props.name_prefix, "sftp"),
            description="SFTP from the partners' networks only",
            vpc_id=props.vpc_id,
            tags={"Name": f"{props.name_prefix}-sftp"},
        )
        for partner in props.partners:
            for index, cidr in enumerate(partner.allowed_cidrs):
                VpcSecurityGroupIngressRule(
                    self,
                    f"sftp-from-{partner.name}-{index}",
                    security_group_id=group.id,
                    description=f"SFTP from {partner.name}",
                    ip_protocol="tcp",
                    from_port=SFTP_PORT,
                    to_port=SFTP_PORT,
                    cidr_ipv4=str(cidr),
                )
        return group

    def _partner_role(self) -> IamRole:
        """The role partner sessions use: objects under ``incoming/`` only; each user's session policy narrows
        it to the partner's own folder."""
        props = self.props
        users_of_this_server = f"arn:aws:transfer:{props.region}:{props.account_id}:user/{self.server.id}/*"
        role = IamRole(
            self,
            "partner-role",
            name=resource_name(props.name_prefix, "transfer-partners", max_length=64),
            description="Northwind SFTP partner sessions: their incoming folders of the transfer bucket",
            assume_role_policy=assume_role_policy(
                "transfer.amazonaws.com", source_account=props.account_id, source_arn=users_of_this_server
            ),
            max_session_duration=3600,
        )
        statements = [
            *self._folder_statements(INCOMING_PREFIX),
            Statement(
                sid="EncryptUploadsThroughS3",
                actions=("kms:Decrypt", "kms:GenerateDataKey"),
                resources=(props.kms_key_arn,),
                conditions={"StringEquals": {"kms:ViaService": f"s3.{props.region}.amazonaws.com"}},
            ),
        ]
        IamRolePolicy(self, "partner-policy", role=role.id, name="incoming-folders", policy=policy_json(statements))
        return role

    def _folder_statements(self, prefix: str) -> list[Statement]:
        return [
            Statement(
                sid="ListFolder",
                actions=("s3:GetBucketLocation", "s3:ListBucket"),
                resources=(self.bucket_arn,),
                conditions={"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}},
            ),
            Statement(
                sid="ReadWriteFolder", actions=PARTNER_OBJECT_ACTIONS, resources=(f"{self.bucket_arn}/{prefix}*",)
            ),
        ]

    def _user(self, partner: PartnerAccess, role: IamRole) -> TransferUser:
        home = f"/{self.bucket_name}/{partner.incoming_prefix.rstrip('/')}"
        user = TransferUser(
            self,
            f"user-{partner.name}",
            server_id=self.server.id,
            user_name=partner.name,
            role=role.arn,
            home_directory_type="LOGICAL",
            # The partner's folder is its whole file system: "/" is incoming/<partner>/, nothing above it.
            home_directory_mappings=[TransferUserHomeDirectoryMappings(entry="/", target=home)],
            policy=policy_json(self._folder_statements(partner.incoming_prefix)),
            tags={"partner": partner.name},
        )
        for index, key in enumerate(partner.ssh_public_keys):
            TransferSshKey(
                self, f"ssh-key-{partner.name}-{index}", server_id=self.server.id, user_name=user.user_name, body=key
            )
        return user
