"""The serving layer: aggregates over the curated zone, loaded into PostgreSQL for the BI and API consumers."""
