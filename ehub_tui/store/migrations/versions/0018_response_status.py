"""response status: withdrawn and waiting responses (issue 16; reserved)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved for issue 16: filled in by the part that needs it."""


def downgrade() -> None:
    """Reserved for issue 16."""
