"""Northwind data platform ETL: contracts, ingestion, curation, quality and serving.

Everything here is plain Python and PySpark so that the same code runs locally and in AWS Glue 5.0;
only the entry scripts in ``etl/jobs`` know about Glue.
"""
