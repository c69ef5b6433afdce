"""Customer-managed KMS keys, one per purpose, with rotation, explicit key policies and aliases."""

from modules.encryption.construct import Encryption
from modules.encryption.props import DEFAULT_PURPOSES, EncryptionProps, KeyPurpose

__all__ = ["DEFAULT_PURPOSES", "Encryption", "EncryptionProps", "KeyPurpose"]
