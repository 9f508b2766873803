"""Corrections of notes: a correction request may name the signed note it is about

Revision ID: 0018nco
Revises: 0017cli
Create Date: 2026-11-30 08:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018nco"
down_revision: str | None = "0017cli"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("correction_requests") as batch:
        batch.add_column(sa.Column("note_id", sa.Uuid(), nullable=True))
        batch.create_index(batch.f("ix_correction_requests_note_id"), ["note_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_correction_requests_note_id_notes"),
            "notes",
            ["note_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("correction_requests") as batch:
        batch.drop_constraint(batch.f("fk_correction_requests_note_id_notes"), type_="foreignkey")
        batch.drop_index(batch.f("ix_correction_requests_note_id"))
        batch.drop_column("note_id")
