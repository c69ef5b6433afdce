"""The ETL benchmark: curation plus serving aggregates at volume, beside DuckDB on the same curated Parquet."""
