"""Decisions keep the facts of the proposal they decided (when it was made, the rules that
fired, the ruleset and model versions), so oversight counts the decisions of its window alone

Before, the oversight figures looked up every decided proposal by key: at 100,000 clients some
6,600 lookups a page. A proposal's facts never change once made, so the decision copies them
when it is made; this migration copies them for the decisions already stored. Downgrading drops
the copies (the proposals still hold the originals).

This migration reads and writes the database only; it imports nothing of the application but
its column type, so later changes to the code cannot change what it does.

Revision ID: 0022dec
Revises: 0021bwt
Create Date: 2026-12-01 03:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alongside.models.base

revision: str = "0022dec"
down_revision: str | None = "0021bwt"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = alongside.models.base.UTCDateTime(timezone=True)
# (decision column, proposal column)
COPIED = (
    ("proposed_at", "proposed_at"),
    ("proposed_rules", "fired_rules"),
    ("proposed_versions", "versions"),
)


def upgrade() -> None:
    """Add the columns, copy each decision's proposal facts into them, then require them."""
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposed_at", TIME, nullable=True))
        batch_op.add_column(sa.Column("proposed_rules", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("proposed_versions", sa.JSON(), nullable=True))
    decisions = sa.table(
        "decisions",
        sa.column("suggestion_id", sa.Uuid()),
        sa.column("proposed_at", TIME),
        sa.column("proposed_rules", sa.JSON()),
        sa.column("proposed_versions", sa.JSON()),
    )
    suggestions = sa.table(
        "suggestions",
        sa.column("id", sa.Uuid()),
        sa.column("proposed_at", TIME),
        sa.column("fired_rules", sa.JSON()),
        sa.column("versions", sa.JSON()),
    )
    # One statement: each decision reads its own proposal by key (decisions.suggestion_id is
    # unique and a foreign key with ON DELETE CASCADE, so every decision has its proposal).
    op.get_bind().execute(
        decisions.update().values(
            {
                target: sa.select(suggestions.c[source])
                .where(suggestions.c.id == decisions.c.suggestion_id)
                .scalar_subquery()
                for target, source in COPIED
            }
        )
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.alter_column("proposed_at", existing_type=TIME, nullable=False)
        batch_op.alter_column("proposed_rules", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("proposed_versions", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    """Drop the copies; the proposals keep the originals."""
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("proposed_versions")
        batch_op.drop_column("proposed_rules")
        batch_op.drop_column("proposed_at")
