"""AWS Lambda entry points: thin handlers that read their settings once and call the ETL package."""
