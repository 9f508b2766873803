"""Client logins encrypted with the client key (columns; `alongside db upgrade` then seals
existing client logins with the key file, which migrations do not read)

Revision ID: 0017cli
Revises: 0016thr
Create Date: 2026-11-30 04:49:33.376318
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017cli"
down_revision: str | None = "0016thr"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, never batch mode: rebuilding "users" on SQLite (with foreign keys on)
# would cascade-delete every row that points at a user (care teams, sessions, tokens).
def upgrade() -> None:
    """Apply this migration."""
    op.add_column("users", sa.Column("login_email", sa.LargeBinary(), nullable=True))
    op.add_column("users", sa.Column("login_name", sa.LargeBinary(), nullable=True))
    op.add_column("users", sa.Column("email_index", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_users_email_index"), "users", ["email_index"], unique=True)


def downgrade() -> None:
    """Revert this migration (SQLite 3.35 or newer drops columns in place)."""
    op.drop_index(op.f("ix_users_email_index"), table_name="users")
    op.drop_column("users", "email_index")
    op.drop_column("users", "login_name")
    op.drop_column("users", "login_email")
