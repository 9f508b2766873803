"""audit events are inserted unsealed and chained by a sealer: no shared row for writers

Revision ID: 0011_audit_sealer
Revises: 0011_lists_search
Create Date: 2026-11-30 04:40:00

Before: every audited access locked and moved the one ``audit_heads`` row, so every writer of
the deployment queued on it. Now writers only INSERT an unsealed event (``sequence``,
``previous_hash`` and ``hash`` empty) numbered by ``insert_order``: a sequence on PostgreSQL,
the next number on SQLite (whose writers take turns anyway). The sealer gives events their
place in the chain in batches, and only the sealer touches ``audit_heads``.

Triggers after this migration: INSERT must be unsealed; UPDATE is refused except sealing an
unsealed event once, onto the event after the head, with every other column unchanged; DELETE
(and TRUNCATE on PostgreSQL) refused as before; the head only moves forward by one, as before.
Existing events keep their sequence and hashes (``insert_order`` = ``sequence``).

On PostgreSQL the application's role needs ``UPDATE (sequence, previous_hash, hash)`` on
``audit_events`` (granted explicitly; PUBLIC keeps none) and must still not own the tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_audit_sealer"
down_revision: str | None = "0011_lists_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column but the three the sealer writes: none may change, ever.
_FIXED = (
    "id",
    "insert_order",
    "occurred_at",
    "actor_id",
    "actor_role",
    "actor_name",
    "action",
    "resource_type",
    "resource_id",
    "client_id",
    "organization_id",
    "purpose",
    "outcome",
    "request_id",
)
_NEW_ROW = ", ".join(f"NEW.{c}" for c in _FIXED)
_OLD_ROW = ", ".join(f"OLD.{c}" for c in _FIXED)
_SQLITE_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FIXED)

POSTGRES_UP = [
    "DROP TRIGGER audit_events_no_update ON audit_events",
    "DROP TRIGGER audit_events_append_only ON audit_events",
    "DROP FUNCTION audit_events_extend_head()",
    "CREATE SEQUENCE audit_events_insert_order_seq OWNED BY audit_events.insert_order",
    "SELECT setval('audit_events_insert_order_seq', "
    "COALESCE((SELECT max(insert_order) FROM audit_events), 0) + 1, false)",
    "ALTER TABLE audit_events ALTER COLUMN insert_order "
    "SET DEFAULT nextval('audit_events_insert_order_seq')",
    """
    CREATE FUNCTION audit_events_insert_unsealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.sequence IS NOT NULL OR NEW.previous_hash IS NOT NULL OR NEW.hash IS NOT NULL THEN
            RAISE EXCEPTION 'audit events are written unsealed; only the sealer chains them'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    # Built from the fixed column names above, never from input.
    f"""
    CREATE FUNCTION audit_events_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        head_sequence bigint;
        head_hash varchar;
    BEGIN
        IF OLD.sequence IS NOT NULL OR OLD.previous_hash IS NOT NULL OR OLD.hash IS NOT NULL
            OR NEW.sequence IS NULL OR NEW.previous_hash IS NULL OR NEW.hash IS NULL
            OR ROW({_NEW_ROW}) IS DISTINCT FROM ROW({_OLD_ROW}) THEN
            RAISE EXCEPTION 'audit records are append-only: UPDATE on audit_events refused'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT sequence, hash INTO head_sequence, head_hash FROM audit_heads WHERE id = 1;
        IF NOT FOUND OR NEW.sequence <> head_sequence + 1 OR NEW.previous_hash <> head_hash THEN
            RAISE EXCEPTION 'audit event % does not extend the audit head at %',
                NEW.sequence, head_sequence USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,  # noqa: S608 - column names are constants of this file
    "CREATE TRIGGER audit_events_append_only BEFORE INSERT ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_insert_unsealed()",
    "CREATE TRIGGER audit_events_seal_only BEFORE UPDATE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_seal_only()",
]

POSTGRES_DOWN = [
    "DROP TRIGGER audit_events_seal_only ON audit_events",
    "DROP TRIGGER audit_events_append_only ON audit_events",
    "DROP FUNCTION audit_events_seal_only()",
    "DROP FUNCTION audit_events_insert_unsealed()",
    "ALTER TABLE audit_events ALTER COLUMN insert_order DROP DEFAULT",
    "DROP SEQUENCE audit_events_insert_order_seq",
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
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_events_append_only BEFORE INSERT ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_extend_head()",
]

# SQLite rebuilds the table to change its columns, which drops the table's triggers; the head's
# trigger names the table, so it goes first and comes back after.
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_events_no_update",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
    "DROP TRIGGER IF EXISTS audit_events_append_only",
    "DROP TRIGGER IF EXISTS audit_events_seal_only",
    "DROP TRIGGER IF EXISTS audit_heads_forward_only",
]

SQLITE_HEAD_TRIGGER = """
    CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE ON audit_heads
    WHEN NOT (
        (NEW.id = OLD.id AND NEW.sequence = OLD.sequence AND NEW.hash = OLD.hash)
        OR (NEW.id = OLD.id AND NEW.sequence = OLD.sequence + 1 AND EXISTS (
            SELECT 1 FROM audit_events
            WHERE sequence = NEW.sequence AND hash = NEW.hash AND previous_hash = OLD.hash
        ))
    )
    BEGIN SELECT RAISE(ABORT, 'the audit head only moves forward, one event at a time'); END
    """

SQLITE_NO_DELETE = """
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only: DELETE on audit_events refused');
    END
    """

SQLITE_UP = [
    SQLITE_NO_DELETE,
    """
    CREATE TRIGGER audit_events_append_only BEFORE INSERT ON audit_events
    WHEN NEW.sequence IS NOT NULL OR NEW.previous_hash IS NOT NULL OR NEW.hash IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'audit events are written unsealed; only the sealer chains them');
    END
    """,
    f"""
    CREATE TRIGGER audit_events_seal_only BEFORE UPDATE ON audit_events
    BEGIN
        SELECT RAISE(ABORT, 'audit records are append-only: UPDATE on audit_events refused')
        WHERE OLD.sequence IS NOT NULL OR OLD.previous_hash IS NOT NULL OR OLD.hash IS NOT NULL
            OR NEW.sequence IS NULL OR NEW.previous_hash IS NULL OR NEW.hash IS NULL
            OR {_SQLITE_CHANGED};
        SELECT RAISE(ABORT, 'audit event does not extend the audit head')
        WHERE NEW.sequence IS NOT (SELECT sequence + 1 FROM audit_heads WHERE id = 1)
            OR NEW.previous_hash IS NOT (SELECT hash FROM audit_heads WHERE id = 1);
    END
    """,  # noqa: S608 - column names are constants of this file
    SQLITE_HEAD_TRIGGER,
]

SQLITE_DOWN = [
    SQLITE_NO_DELETE,
    """
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only: UPDATE on audit_events refused');
    END
    """,
    """
    CREATE TRIGGER audit_events_append_only BEFORE INSERT ON audit_events
    WHEN NEW.sequence IS NOT (SELECT sequence + 1 FROM audit_heads WHERE id = 1)
        OR NEW.previous_hash IS NOT (SELECT hash FROM audit_heads WHERE id = 1)
    BEGIN SELECT RAISE(ABORT, 'audit event does not extend the audit head'); END
    """,
    SQLITE_HEAD_TRIGGER,
]


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    """Apply this migration."""
    if not _is_postgres():
        for statement in SQLITE_DROP:
            op.execute(statement)
    else:
        # The old update trigger refuses the copy below.
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update")
    op.add_column("audit_events", sa.Column("insert_order", sa.BigInteger(), nullable=True))
    op.execute("UPDATE audit_events SET insert_order = sequence")
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("insert_order", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("sequence", existing_type=sa.BigInteger(), nullable=True)
        batch.alter_column("previous_hash", existing_type=sa.String(length=64), nullable=True)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
        batch.create_unique_constraint(batch.f("uq_audit_events_insert_order"), ["insert_order"])
        batch.drop_index("ix_audit_events_client_sequence")
        batch.drop_index("ix_audit_events_organization_sequence")
        batch.create_index(
            "ix_audit_events_client_insert_order", ["client_id", "insert_order"], unique=False
        )
        batch.create_index(
            "ix_audit_events_organization_insert_order",
            ["organization_id", "insert_order"],
            unique=False,
        )
    for statement in POSTGRES_UP if _is_postgres() else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    """Revert this migration; refused while events wait to be sealed (seal them first)."""
    unsealed = op.get_bind().execute(
        sa.text("SELECT count(*) FROM audit_events WHERE sequence IS NULL")
    )
    if unsealed.scalar_one():
        raise RuntimeError(
            "Some audit events are not sealed yet; run `alongside audit seal`, then downgrade."
        )
    if _is_postgres():
        for statement in POSTGRES_DOWN:
            op.execute(statement)
    else:
        for statement in SQLITE_DROP:
            op.execute(statement)
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_organization_insert_order")
        batch.drop_index("ix_audit_events_client_insert_order")
        batch.create_index("ix_audit_events_client_sequence", ["client_id", "sequence"])
        batch.create_index("ix_audit_events_organization_sequence", ["organization_id", "sequence"])
        batch.drop_constraint(batch.f("uq_audit_events_insert_order"), type_="unique")
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("previous_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("sequence", existing_type=sa.BigInteger(), nullable=False)
        batch.drop_column("insert_order")
    if not _is_postgres():
        for statement in SQLITE_DOWN:
            op.execute(statement)
