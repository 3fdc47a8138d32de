"""handover: a reassigned item's handover note and notice, and a claim's last activity

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved for issue 15 part: handovers (helper A) (fills this in; empty until then)."""


def downgrade() -> None:
    """Undo ``upgrade``."""
