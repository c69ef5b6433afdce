"""Secure transfer: the SFTP server partners deliver files to, their users and the transfer bucket."""

from modules.transfer.construct import SecureTransfer
from modules.transfer.props import CURRENT_SECURITY_POLICY, PartnerAccess, TransferProps

__all__ = ["CURRENT_SECURITY_POLICY", "PartnerAccess", "SecureTransfer", "TransferProps"]
