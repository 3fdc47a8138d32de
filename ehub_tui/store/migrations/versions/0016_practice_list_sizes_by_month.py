"""practice list sizes by month (issue 16; reserved)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved for issue 16: filled in by the part that needs it."""


def downgrade() -> None:
    """Reserved for issue 16."""
