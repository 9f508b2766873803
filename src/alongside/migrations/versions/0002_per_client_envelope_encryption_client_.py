"""Per-client envelope encryption: client keys, encrypted client fields, email blind index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 15:09:23.976622
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alongside.models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS = {
    "given_name": (400, False),
    "family_name": (400, False),
    "email": (600, True),
    "phone": (200, True),
    "date_of_birth": (200, True),
}


def _refuse_existing_rows() -> None:
    # Encrypting rows already stored in plain text needs the key file, which migrations do
    # not read; Alongside had no release with plain-text clients, so refuse rather than guess.
    count = op.get_bind().execute(sa.text("SELECT count(*) FROM clients")).scalar_one()
    if count:
        raise RuntimeError(
            f"{count} clients are stored without encryption; export them, migrate an empty "
            "database and import them through Alongside so each gets its own data key."
        )


def upgrade() -> None:
    """Store client fields as ciphertext under per-client data keys."""
    _refuse_existing_rows()
    op.create_table(
        "client_keys",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("kek_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_client_keys_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_client_keys")),
    )
    with op.batch_alter_table("client_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_keys_kek_id"), ["kek_id"], unique=False)

    with op.batch_alter_table("clients", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.drop_column(name)
    with op.batch_alter_table("clients", schema=None) as batch_op:
        for name, (_length, nullable) in COLUMNS.items():
            batch_op.add_column(sa.Column(name, sa.LargeBinary(), nullable=nullable))
        batch_op.add_column(sa.Column("email_index", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_clients_email_index"), ["email_index"], unique=False)


def downgrade() -> None:
    """Back to plain-text client fields (only for an empty clients table)."""
    _refuse_existing_rows()
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clients_email_index"))
        batch_op.drop_column("email_index")
        for name in COLUMNS:
            batch_op.drop_column(name)
    with op.batch_alter_table("clients", schema=None) as batch_op:
        for name, (length, nullable) in COLUMNS.items():
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=nullable))
    with op.batch_alter_table("client_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_keys_kek_id"))
    op.drop_table("client_keys")
