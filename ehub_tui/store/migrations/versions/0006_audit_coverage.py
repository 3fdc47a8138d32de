"""audit coverage: signed checkpoints, and a baseline event covering every existing row

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    """Create audit_checkpoint; append ``audit_baseline`` events covering the rows already there.

    From this revision every change writes the digests of the rows it changed into its audit
    event; the baseline gives rows written before it their first digest, so ``audit verify`` can
    replay the chain against the tables from here on.
    """
    op.create_table(
        "audit_checkpoint",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    from ehub_tui.store import audit, coverage

    conn = op.get_bind()
    now = datetime.now(UTC)
    # later migrations may add columns to these tables: cover the ones there are now
    with coverage.as_migrated(conn):
        events: list[audit.Event] = []
        for name, spec in coverage.TABLES.items():
            keys = [k for k, _ in coverage.scan(conn, spec)]
            for i in range(0, len(keys), _BATCH):
                part = keys[i : i + _BATCH]
                events.append(
                    audit.Event(
                        "system", "audit_baseline", None, {"table": name}, ((name, spec.key, part),)
                    )
                )
        if events:
            audit.append(conn, events, now)


def downgrade() -> None:
    """Drop audit_checkpoint (the baseline events stay: the chain is append-only)."""
    op.drop_table("audit_checkpoint")
