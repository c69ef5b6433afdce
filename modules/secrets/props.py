"""Props of the secrets construct."""

from __future__ import annotations

from dataclasses import dataclass

from modules.platform_secrets import PlatformSecret


@dataclass(frozen=True)
class SecretReaders:
    """A platform secret and the roles that read its value (nothing else may)."""

    secret: PlatformSecret
    reader_role_arns: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.reader_role_arns:
            raise ValueError(f"SecretReaders({self.secret.key}): a secret nobody reads should not exist")


@dataclass(frozen=True)
class SecretsProps:
    """Inputs of ``Secrets``.

    Attributes:
        name_prefix: ``northwind-<env>``; secrets are ``<prefix>/<key>``.
        kms_key_arn: the secrets key every secret is encrypted with.
        secrets: ``SecretReaders`` for each secret to create.
        writer_role_arns: roles that may set values (``make secret-value``), never read them.
        deletion_requested: the construct's half of the two switches for deleting secrets after the shortest
            recovery window (7 days instead of 30). Default: False.
        allow_data_destruction: the environment's half. Default: False.
    """

    name_prefix: str
    kms_key_arn: str
    secrets: tuple[SecretReaders, ...]
    writer_role_arns: tuple[str, ...]
    deletion_requested: bool = False
    allow_data_destruction: bool = False

    def __post_init__(self) -> None:
        keys = [entry.secret.key for entry in self.secrets]
        if len(set(keys)) != len(keys):
            raise ValueError("SecretsProps.secrets: each secret once")

    @property
    def recovery_window_days(self) -> int:
        """Days a deleted secret can still be restored: 7 only when both switches allow it, else 30."""
        return 7 if self.deletion_requested and self.allow_data_destruction else 30
