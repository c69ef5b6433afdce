"""Landing source deliveries in the raw zone, byte for byte, idempotently (see ``etl.ingest.landing``)."""
