"""Alembic environment: always run with a connection handed over by ehub_tui.store.migrate."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import ehub_tui.store.models  # noqa: F401  (registers the tables)

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - guarded by migrate.py
    raise RuntimeError("run migrations through `ehub-tui` (ehub_tui.store.migrate.upgrade)")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
