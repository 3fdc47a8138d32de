"""fhir in: status of a response and partial dates of birth (issue 16; reserved)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved for issue 16: filled in by the part that needs it."""


def downgrade() -> None:
    """Reserved for issue 16."""
