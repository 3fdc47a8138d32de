"""response status: withdrawn and waiting responses (issue 16)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create response_hold (empty) and add quarantine.kind (nullable).

    response_hold: one row per supplier key the hub saw but did not queue (an in-progress
    response waiting for its completed version, a stopped one, one withdrawn before the hub had
    it), with no patient details; every row is written by an audited intake and covered by
    store/coverage.py. quarantine.kind marks the entries the supervisor must review (a worked item
    withdrawn by its supplier, an amendment of a worked item); older entries keep NULL (the
    quarantine is not a covered table).
    """
    op.create_table(
        "response_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("response_status", sa.String(length=24), nullable=False),
        sa.Column("source_file", sa.String(length=1024), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "external_id", name="uq_response_hold_key"),
    )
    op.create_index("ix_response_hold_state", "response_hold", ["state"], unique=False)
    op.add_column("quarantine", sa.Column("kind", sa.String(length=24), nullable=True))


def downgrade() -> None:
    """Drop them (plain DROP COLUMN, SQLite 3.35+, as 0011's downgrade does); the audit events
    about them stay: the chain is append-only."""
    op.drop_column("quarantine", "kind")
    op.drop_index("ix_response_hold_state", table_name="response_hold")
    op.drop_table("response_hold")
