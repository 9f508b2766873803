"""Ruleset activations with reasons: who made a version active, when, why, and the wait targets
it set

Revision ID: 0019rac
Revises: 0018nco
Create Date: 2026-11-30 11:32:08.748440
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alongside.models.base

revision: str = "0019rac"
down_revision: str | None = "0018nco"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "ruleset_activations",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("ruleset_version_id", sa.Uuid(), nullable=False),
        sa.Column("previous", sa.String(length=200), nullable=False),
        sa.Column("activated_by_id", sa.Uuid(), nullable=True),
        sa.Column("activated_by_name", sa.String(length=200), nullable=False),
        sa.Column("activated_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("wait_targets", sa.JSON(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activated_by_id"],
            ["users.id"],
            name=op.f("fk_ruleset_activations_activated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ruleset_activations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ruleset_version_id"],
            ["ruleset_versions.id"],
            name=op.f("fk_ruleset_activations_ruleset_version_id_ruleset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ruleset_activations")),
    )
    with op.batch_alter_table("ruleset_activations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ruleset_activations_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ruleset_activations_ruleset_version_id"),
            ["ruleset_version_id"],
            unique=False,
        )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("ruleset_activations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ruleset_activations_ruleset_version_id"))
        batch_op.drop_index(batch_op.f("ix_ruleset_activations_organization_id"))

    op.drop_table("ruleset_activations")
