"""audit events and head: append-only, hash-chained, guarded by triggers

Revision ID: c4a1d7e0a5d1
Revises: b77237b2dc77
Create Date: 2026-11-28 15:10:43.106424

Triggers make ``audit_events`` append-only on both databases: UPDATE and DELETE (and on
PostgreSQL TRUNCATE) raise; an INSERT must carry the next sequence number and the previous
hash kept in ``audit_heads``; the head row cannot be deleted and only moves forward by one,
onto the event that follows it. On PostgreSQL UPDATE, DELETE and TRUNCATE are also revoked from
PUBLIC; the application's role must not own these tables (an owner can drop the triggers).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alongside.models.base

revision: str = "c4a1d7e0a5d1"
down_revision: str | None = "b77237b2dc77"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64

POSTGRES_UP = [
    """
    CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit records are append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE FUNCTION audit_events_extend_head() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        head_sequence bigint;
        head_hash varchar;
    BEGIN
        SELECT sequence, hash INTO head_sequence, head_hash FROM audit_heads WHERE id = 1;
        IF NOT FOUND OR NEW.sequence <> head_sequence + 1 OR NEW.previous_hash <> head_hash THEN
            RAISE EXCEPTION 'audit event % does not extend the audit head at %',
                NEW.sequence, head_sequence USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE FUNCTION audit_heads_advance() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.id = OLD.id AND NEW.sequence = OLD.sequence AND NEW.hash = OLD.hash THEN
            RETURN NEW;
        END IF;
        IF NEW.id = OLD.id AND NEW.sequence = OLD.sequence + 1 AND EXISTS (
            SELECT 1 FROM audit_events
            WHERE sequence = NEW.sequence AND hash = NEW.hash AND previous_hash = OLD.hash
        ) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'the audit head only moves forward, one event at a time'
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_events_append_only BEFORE INSERT ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_extend_head()",
    "CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE ON audit_heads "
    "FOR EACH ROW EXECUTE FUNCTION audit_heads_advance()",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC",
    "REVOKE DELETE, TRUNCATE ON audit_heads FROM PUBLIC",
]

POSTGRES_DOWN = [
    "DROP FUNCTION audit_heads_advance()",
    "DROP FUNCTION audit_events_extend_head()",
    "DROP FUNCTION audit_refuse_change()",
]

SQLITE_UP = [
    """
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only: UPDATE on audit_events refused');
    END
    """,
    """
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only: DELETE on audit_events refused');
    END
    """,
    """
    CREATE TRIGGER audit_events_append_only BEFORE INSERT ON audit_events
    WHEN NEW.sequence IS NOT (SELECT sequence + 1 FROM audit_heads WHERE id = 1)
        OR NEW.previous_hash IS NOT (SELECT hash FROM audit_heads WHERE id = 1)
    BEGIN SELECT RAISE(ABORT, 'audit event does not extend the audit head'); END
    """,
    """
    CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only: DELETE on audit_heads refused');
    END
    """,
    """
    CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE ON audit_heads
    WHEN NOT (
        (NEW.id = OLD.id AND NEW.sequence = OLD.sequence AND NEW.hash = OLD.hash)
        OR (NEW.id = OLD.id AND NEW.sequence = OLD.sequence + 1 AND EXISTS (
            SELECT 1 FROM audit_events
            WHERE sequence = NEW.sequence AND hash = NEW.hash AND previous_hash = OLD.hash
        ))
    )
    BEGIN SELECT RAISE(ABORT, 'the audit head only moves forward, one event at a time'); END
    """,
]


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=128), nullable=True),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("sequence", name=op.f("uq_audit_events_sequence")),
    )
    op.create_index(
        "ix_audit_events_client_sequence", "audit_events", ["client_id", "sequence"], unique=False
    )
    op.create_index(
        "ix_audit_events_organization_sequence",
        "audit_events",
        ["organization_id", "sequence"],
        unique=False,
    )
    op.create_table(
        "audit_heads",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_heads_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_heads")),
    )
    op.execute(
        sa.text("INSERT INTO audit_heads (id, sequence, hash) VALUES (1, 0, :genesis)").bindparams(
            genesis=GENESIS_HASH
        )
    )
    statements = POSTGRES_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    """Revert this migration (dropping a table drops its triggers)."""
    op.drop_table("audit_heads")
    op.drop_index("ix_audit_events_organization_sequence", table_name="audit_events")
    op.drop_index("ix_audit_events_client_sequence", table_name="audit_events")
    op.drop_table("audit_events")
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWN:
            op.execute(statement)
