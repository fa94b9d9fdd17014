"""Enrichment stages between ingestion and indexing (each its own module)."""
