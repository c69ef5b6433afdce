"""A seeded, deterministic generator of Northwind-shaped data at any volume (same seed and size, same bytes)."""
