"""AuditEvent: one append-only, hash-chained record of an access to client data.

Writers only insert: an event arrives *unsealed* (``sequence``, ``previous_hash`` and ``hash``
empty), numbered by ``insert_order`` (a database sequence on PostgreSQL; on SQLite, whose
writers take turns, the next number). The sealer (:mod:`alongside.audit.sealer`) later gives
each its place in the chain (``sequence``) and its hashes, in batches. Triggers created by the
migrations refuse DELETE (and TRUNCATE on PostgreSQL) and any UPDATE except that sealing: once,
onto the event after the head kept in :class:`~alongside.models.audit_head.AuditHead`, with
every other column unchanged. An INSERT must arrive unsealed. There are deliberately no foreign
keys: an event outlives the user and the client it names (erasing a client destroys their key,
never their access history), and a cascade could not delete it anyway.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Sequence, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, UTCDateTime, new_id


class AuditAction(enum.StrEnum):
    """What the actor did."""

    READ = "read"
    LIST = "list"
    SEARCH = "search"
    EXPORT = "export"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    DECIDE = "decide"
    SIGN = "sign"
    ERASE = "erase"
    BREAK_GLASS = "break_glass"
    ASSIGN = "assign"
    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    REFUSED = "refused"


class AuditPurpose(enum.StrEnum):
    """Why the access happened (shown to the client as the reason)."""

    TREATMENT = "treatment"
    EMERGENCY = "emergency"
    EXPORT = "export"
    OPERATIONS = "operations"
    CLIENT_ACCESS = "client_access"
    SECURITY = "security"


class AuditOutcome(enum.StrEnum):
    """Whether the access went through."""

    SUCCESS = "success"
    REFUSED = "refused"
    ERROR = "error"


SYSTEM_ROLE = "system"

# Used on PostgreSQL only; SQLite has no sequences (the writer computes the next number).
INSERT_ORDER_SEQUENCE = Sequence("audit_events_insert_order_seq")

# The columns an event's hash covers, in addition to its sequence number. Changing this tuple
# changes the hash of every stored event, so it is fixed for the life of a chain.
HASHED_COLUMNS: tuple[str, ...] = (
    "id",
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


class AuditEvent(Base):
    """One access to client data: who, what, why, when, and its place in the hash chain."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # A client's access log and the FHIR export read one client's or organisation's
        # events newest first (in the order they were written: sealed or not yet).
        Index("ix_audit_events_client_insert_order", "client_id", "insert_order"),
        Index("ix_audit_events_organization_insert_order", "organization_id", "insert_order"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # The order events were written in. PostgreSQL hands numbers out from a sequence, so
    # writers never wait on each other; a rolled-back transaction leaves a gap, and numbers may
    # commit out of order. The chain's own order is ``sequence``, given by the sealer.
    insert_order: Mapped[int] = mapped_column(
        BigInteger, INSERT_ORDER_SEQUENCE, unique=True, nullable=False
    )
    # The place in the hash chain (1, 2, 3... without gaps); empty until sealed.
    sequence: Mapped[int | None] = mapped_column(BigInteger, unique=True, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_role: Mapped[str] = mapped_column(String(32), nullable=False)
    actor_name: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    previous_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
