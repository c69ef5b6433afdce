"""Glue job entry scripts: thin wrappers that parse job arguments once and call the ETL package."""
