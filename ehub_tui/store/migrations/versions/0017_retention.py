"""retention: when an item's patient-identifiable fields were purged

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add consultation.purged_at (nullable): set by ``ehub-tui retention purge`` (issue 16).

    Existing items keep NULL: a NULL column is outside a row's digest (store/coverage.py), so
    their audit digests stay as they were and ``audit verify`` needs no baseline event. A purge
    sets it in the same transaction as the blanking, covered by the purge's audit event.

    Whether a day's returns were exported needs no table of its own: every export of a return
    is already an audit event (action ``export``, with its days and practice), which the purge
    reads (store/retention.py).
    """
    op.add_column("consultation", sa.Column("purged_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Drop the column (plain DROP COLUMN, SQLite 3.35+, as 0011's downgrade does). The blanked
    fields stay blank: a purge is not undone."""
    op.drop_column("consultation", "purged_at")
