"""sign-in: hub users' password hashes and their sign-in sessions (bearer tokens, hashed)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create hub_credential and hub_session (both start empty).

    No user has a password yet, so nobody can sign in until one is set on the hub machine
    (``hub init-admin``, or an admin's reset). Nothing existing changes, so no audit baseline is
    needed: every row of these tables is written by an audited sign-in action from here on.
    """
    op.create_table(
        "hub_credential",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("password_set_at", sa.DateTime(), nullable=False),
        sa.Column("must_change", sa.Boolean(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["hub_user.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "hub_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=False),
        sa.Column("absolute_expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("revoke_reason", sa.String(length=32), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["hub_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_digest"),
    )
    # a user's live sessions (revoke_all, sign-out everywhere) are found by this index
    op.create_index(
        "ix_hub_session_user_revoked", "hub_session", ["user_id", "revoked_at"], unique=False
    )


def downgrade() -> None:
    """Drop both tables: every password and sign-in is gone (audit events about them stay)."""
    op.drop_index("ix_hub_session_user_revoked", table_name="hub_session")
    op.drop_table("hub_session")
    op.drop_table("hub_credential")
