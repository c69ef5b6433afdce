"""Data quality: every contract rule evaluated per row as Spark column expressions."""
