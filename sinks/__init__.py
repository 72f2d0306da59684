"""Sinks: the Postgres sink (schema, upserts, offset bookkeeping)."""
