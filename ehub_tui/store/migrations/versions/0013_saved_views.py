"""saved views: named queue filters and a user's default view

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved for issue 15 part: views (helper B) (fills this in; empty until then)."""


def downgrade() -> None:
    """Undo ``upgrade``."""
