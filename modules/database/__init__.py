"""The serving database: RDS for PostgreSQL with TLS, IAM authentication, managed secret and monitoring."""

from modules.database.construct import POSTGRES_PORT, ServingDatabase
from modules.database.props import DatabaseNetwork, DatabaseProps

__all__ = ["POSTGRES_PORT", "DatabaseNetwork", "DatabaseProps", "ServingDatabase"]
