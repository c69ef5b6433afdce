"""Secrets Manager secrets of the platform, as resources without values."""

from modules.secrets.construct import Secrets, resource_policy
from modules.secrets.props import SecretReaders, SecretsProps

__all__ = ["SecretReaders", "Secrets", "SecretsProps", "resource_policy"]
