"""AWS Backup: a KMS-encrypted vault and a daily/monthly plan over the database and the critical buckets."""

from modules.backup.construct import BACKUP_SERVICE_POLICIES, Backup
from modules.backup.props import BackupProps

__all__ = ["BACKUP_SERVICE_POLICIES", "Backup", "BackupProps"]
