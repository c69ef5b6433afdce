"""Vehicle market valuations from the RapidAPI Vehicle Market Value API: validated, paced, cached, budgeted.

Entry points: ``enricher.ValuationEnricher.open(store, settings, api_key)`` for lookups and batch runs,
``validation.validate_lookup`` for input, ``parse.extract_valuation_fields`` for the dataset, and the CLI
``python -m etl.enrich.vehicle_valuation``. See docs/integrations/vehicle-valuation.md.

This module imports nothing, so curation can import ``parse`` (standard library only) in a Glue job that has
none of the client's HTTP libraries.
"""
