"""awaiting patient: an item parked for the patient's reply

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved for issue 15 part: awaiting patient (helper E) (fills this in; empty until then)."""


def downgrade() -> None:
    """Undo ``upgrade``."""
