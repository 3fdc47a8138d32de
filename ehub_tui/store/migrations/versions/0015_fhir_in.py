"""fhir in: how much of a patient's date of birth is known (issue 16)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add consultation.dob_precision (nullable): "month" or "year" for a partial FHIR birthDate
    (1970-09, 1970; date_of_birth is then the first day of that part); NULL is "day".

    NULL rather than a server default of 'day': a NULL column is outside a row's audit digest
    (store/coverage.py), so every row stored before this migration keeps its digest and
    ``audit verify`` passes with no baseline event; a default would have rewritten them all.
    New rows store NULL for a full date too, so "day" is never written.
    """
    op.add_column("consultation", sa.Column("dob_precision", sa.String(length=8), nullable=True))


def downgrade() -> None:
    """Drop the column (plain DROP COLUMN, SQLite 3.35+, as 0007's and 0011's downgrades do)."""
    op.drop_column("consultation", "dob_precision")
