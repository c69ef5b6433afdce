"""Props of the secure-transfer construct: the SFTP server, its partners and the bucket they upload to."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from modules.classification import Classification
from modules.lake import SecureBucket

# Transfer Family user names: 3-100 characters, letters, digits, underscore, hyphen, period and at sign.
_USER_NAME = re.compile(r"^[\w][\w@.-]{2,99}$")
# The newest SSH security policy (March 2025): no SHA-1, no CBC ciphers, no diffie-hellman-group14-sha1.
CURRENT_SECURITY_POLICY = "TransferSecurityPolicy-2025-03"
SFTP_PORT = 22


@dataclass(frozen=True)
class PartnerAccess:
    """One partner: its SFTP user (named after the partner), SSH public keys and source networks.

    Attributes:
        name: the partner; its user name and its folder ``incoming/<name>/``.
        ssh_public_keys: OpenSSH public keys the partner signs in with.
        allowed_cidrs: networks admitted to port 22 for this partner.
    """

    name: str
    ssh_public_keys: tuple[str, ...]
    allowed_cidrs: tuple[ipaddress.IPv4Network, ...]

    def __post_init__(self) -> None:
        if not _USER_NAME.match(self.name):
            raise ValueError(f"PartnerAccess.name {self.name!r} is not a Transfer Family user name")
        if not self.ssh_public_keys or not self.allowed_cidrs:
            raise ValueError(f"PartnerAccess({self.name}): give at least one SSH public key and one network")

    @property
    def incoming_prefix(self) -> str:
        """The only folder of the bucket the partner can see: its logical home directory."""
        return f"incoming/{self.name}/"


@dataclass(frozen=True)
class TransferProps:
    """Inputs of ``SecureTransfer``.

    Attributes:
        name_prefix: ``northwind-<env>``; names the server, bucket, roles and log group.
        account_id: the environment's account (bucket name, trust and log-delivery conditions).
        region: the environment's region.
        vpc_id: the VPC of the server's endpoint.
        public_subnet_ids: the public subnets the endpoint gets an Elastic IP in, one per AZ.
        partners: ``PartnerAccess`` per partner.
        bucket_classification: ``data-classification`` of the transfer bucket (what the partners deliver).
        kms_key_arn: encrypts the bucket (the lake key: arrivals land from it into the lake).
        access_log_bucket: where the bucket's server access logs go.
        logs_kms_key_arn: encrypts the server's structured log group.
        log_retention_days: retention of that log group.
        noncurrent_version_expiry_days: how long overwritten or deleted uploads are kept.
        incoming_expiry_days: uploads never processed are removed after this many days.
        rejected_expiry_days: rejected files and their reasons are kept this many days.
        security_policy_name: the server's SSH security policy. Default: ``CURRENT_SECURITY_POLICY``.
        force_destroy: delete the bucket's objects with the stack; the caller has checked both switches.
            Default: False.
    """

    name_prefix: str
    account_id: str
    region: str
    vpc_id: str
    public_subnet_ids: tuple[str, ...]
    partners: tuple[PartnerAccess, ...]
    bucket_classification: Classification
    kms_key_arn: str
    access_log_bucket: SecureBucket
    logs_kms_key_arn: str
    log_retention_days: int
    noncurrent_version_expiry_days: int
    incoming_expiry_days: int
    rejected_expiry_days: int
    security_policy_name: str = CURRENT_SECURITY_POLICY
    force_destroy: bool = False

    def __post_init__(self) -> None:
        if not self.public_subnet_ids:
            raise ValueError("TransferProps.public_subnet_ids: the endpoint needs at least one public subnet")
        names = [partner.name for partner in self.partners]
        if not names or len(set(names)) != len(names):
            raise ValueError("TransferProps.partners: give each partner once, at least one")

    @property
    def bucket_name(self) -> str:
        """``<prefix>-transfer-<account>``: globally unique without a random suffix."""
        return f"{self.name_prefix}-transfer-{self.account_id}"

    @property
    def log_group_name(self) -> str:
        """The server's structured log group."""
        return f"/northwind/transfer/{self.name_prefix}"
