"""Lists page with keyset cursors (indexes) and clients are found by blind-indexed search terms

Revision ID: 0011_lists_search
Revises: a9e55b2bb3df
Create Date: 2026-11-30 04:45:00

The search terms are keyed HMACs made with a key derived from the key file, which migrations
never see; clients stored before this revision have ``search_terms_version`` NULL and are
indexed by the application on the organisation's first search (``ensure_search_terms``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_lists_search"
down_revision: str | None = "a9e55b2bb3df"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the search-term table, the clients' index version and the lists' indexes."""
    op.create_table(
        "client_search_terms",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_client_search_terms_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_client_search_terms_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", "term", name=op.f("pk_client_search_terms")),
    )
    op.create_index(
        "ix_client_search_terms_org_term",
        "client_search_terms",
        ["organization_id", "term", "client_id"],
        unique=False,
    )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_terms_version", sa.SmallInteger(), nullable=True))
        batch_op.create_index(
            "ix_clients_org_created", ["organization_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_clients_org_search_version",
            ["organization_id", "search_terms_version"],
            unique=False,
        )
    op.create_index(
        "ix_suggestions_queue",
        "suggestions",
        ["organization_id", "kind", "status", "urgency", "proposed_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_waitlist_entries_queue",
        "waitlist_entries",
        ["organization_id", "urgency", "added_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_decisions_org_decided",
        "decisions",
        ["organization_id", "decided_at"],
        unique=False,
    )
    op.create_index(
        "ix_outbox_messages_org_status_created",
        "outbox_messages",
        ["organization_id", "status", "created_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    """Drop the indexes, the version column and the search-term table."""
    op.drop_index("ix_outbox_messages_org_status_created", table_name="outbox_messages")
    op.drop_index("ix_decisions_org_decided", table_name="decisions")
    op.drop_index("ix_waitlist_entries_queue", table_name="waitlist_entries")
    op.drop_index("ix_suggestions_queue", table_name="suggestions")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index("ix_clients_org_search_version")
        batch_op.drop_index("ix_clients_org_created")
        batch_op.drop_column("search_terms_version")
    op.drop_index("ix_client_search_terms_org_term", table_name="client_search_terms")
    op.drop_table("client_search_terms")
