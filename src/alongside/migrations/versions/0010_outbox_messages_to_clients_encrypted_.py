"""Outbox messages to clients encrypted with the client's key

Revision ID: 0010
Revises: d475c29ca2b1
Create Date: 2026-11-28 16:37:38.642532
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "d475c29ca2b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The first byte of a field that belongs to no client (alongside.models.encrypted); the rows
# already stored were written before outbox messages named their client, so they keep their
# text with this marker and stay readable.
NO_CLIENT_MARKER = b"\x00"
FIELDS = ("recipient", "subject", "body", "payload")
OLD_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "recipient": sa.String(length=320),
    "subject": sa.String(length=200),
    "body": sa.Text(),
    "payload": sa.JSON(),
}


def upgrade() -> None:
    """Store recipient, subject, body and payload as (possibly encrypted) bytes."""
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.Uuid(), nullable=True))
        for name in FIELDS:
            batch_op.add_column(sa.Column(f"{name}_new", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    table = sa.table(
        "outbox_messages",
        sa.column("id", sa.Uuid()),
        *[sa.column(name, OLD_TYPES[name]) for name in FIELDS],
        *[sa.column(f"{name}_new", sa.LargeBinary()) for name in FIELDS],
    )
    rows = bind.execute(sa.select(table.c.id, *[table.c[name] for name in FIELDS])).all()
    for row in rows:
        values = {}
        for name in FIELDS:
            value = getattr(row, name)
            text = json.dumps(value or {}, sort_keys=True) if name == "payload" else value or ""
            values[f"{name}_new"] = NO_CLIENT_MARKER + text.encode("utf-8")
        bind.execute(sa.update(table).where(table.c.id == row.id).values(**values))
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        for name in FIELDS:
            batch_op.drop_column(name)
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        for name in FIELDS:
            batch_op.alter_column(
                f"{name}_new",
                new_column_name=name,
                existing_type=sa.LargeBinary(),
                nullable=False,
            )
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_client_id"), ["client_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_client_id_clients"),
            "clients",
            ["client_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    """Back to plain columns; refused while a message is encrypted with a client's key."""
    bind = op.get_bind()
    encrypted = bind.execute(
        sa.text("SELECT count(*) FROM outbox_messages WHERE client_id IS NOT NULL")
    ).scalar_one()
    if encrypted:
        raise RuntimeError(
            f"{encrypted} outbox messages are encrypted with a client's key and cannot be "
            "turned back into plain text by a migration; deliver or delete them first."
        )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_messages_client_id_clients"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_outbox_messages_client_id"))
        for name in FIELDS:
            batch_op.add_column(sa.Column(f"{name}_old", OLD_TYPES[name], nullable=True))
    table = sa.table(
        "outbox_messages",
        sa.column("id", sa.Uuid()),
        *[sa.column(name, sa.LargeBinary()) for name in FIELDS],
        *[sa.column(f"{name}_old", OLD_TYPES[name]) for name in FIELDS],
    )
    rows = bind.execute(sa.select(table.c.id, *[table.c[name] for name in FIELDS])).all()
    for row in rows:
        values: dict[str, object] = {}
        for name in FIELDS:
            text = bytes(getattr(row, name))[1:].decode("utf-8")
            values[f"{name}_old"] = json.loads(text) if name == "payload" else text
        bind.execute(sa.update(table).where(table.c.id == row.id).values(**values))
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        for name in FIELDS:
            batch_op.drop_column(name)
        batch_op.drop_column("client_id")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        for name in FIELDS:
            batch_op.alter_column(
                f"{name}_old",
                new_column_name=name,
                existing_type=OLD_TYPES[name],
                nullable=False,
            )
