"""outcome panel: an outcome's mode of contact and team

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved for issue 15 part: outcome panel (helper C) (fills this in; empty until then)."""


def downgrade() -> None:
    """Undo ``upgrade``."""
