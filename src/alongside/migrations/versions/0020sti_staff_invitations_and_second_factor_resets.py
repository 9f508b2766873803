"""Staff invitations, second-factor resets approved by a clinical lead, a person's own time
zone

Revision ID: 0020sti
Revises: 0019rac
Create Date: 2026-11-30 12:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alongside.models.base

revision: str = "0020sti"
down_revision: str | None = "0019rac"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "staff_invitations",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "client",
                "clinician",
                "coordinator",
                "clinical_lead",
                "admin",
                name="invitation_role",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Uuid(), nullable=True),
        sa.Column("sent_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_staff_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_staff_invitations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_staff_invitations_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_invitations_token_hash")),
    )
    op.create_index(
        op.f("ix_staff_invitations_organization_id"),
        "staff_invitations",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_staff_invitations_email"), "staff_invitations", ["email"], unique=False
    )
    op.create_table(
        "second_factor_resets",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "approved",
                "declined",
                name="second_factor_reset_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_second_factor_resets_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_second_factor_resets_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_second_factor_resets_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_second_factor_resets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_second_factor_resets")),
    )
    op.create_index(
        op.f("ix_second_factor_resets_organization_id"),
        "second_factor_resets",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_second_factor_resets_user_id"), "second_factor_resets", ["user_id"], unique=False
    )
    # Plain ALTER TABLE, never batch mode: rebuilding "users" on SQLite (with foreign keys
    # on) would cascade-delete every row that points at a user.
    op.add_column(
        "users",
        sa.Column("totp_setup_required", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("users", sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Revert this migration."""
    op.drop_column("users", "timezone")
    op.drop_column("users", "totp_setup_required")
    op.drop_index(op.f("ix_second_factor_resets_user_id"), table_name="second_factor_resets")
    op.drop_index(
        op.f("ix_second_factor_resets_organization_id"), table_name="second_factor_resets"
    )
    op.drop_table("second_factor_resets")
    op.drop_index(op.f("ix_staff_invitations_email"), table_name="staff_invitations")
    op.drop_index(op.f("ix_staff_invitations_organization_id"), table_name="staff_invitations")
    op.drop_table("staff_invitations")
