"""Alembic migrations of the hub schema (run by ehub_tui.store.migrate, never by hand)."""
