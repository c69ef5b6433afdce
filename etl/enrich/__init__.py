"""Enrichment of platform datasets from external APIs (each call costs money, so every client caches and budgets)."""
