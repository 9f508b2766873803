"""Decision: a clinician's accept, amend or reject of one Suggestion, with who, when and why.

One row per suggestion (a unique constraint: a suggestion is decided once). Fields:
``outcome`` (``accepted`` | ``amended`` | ``rejected``), ``decided_by_id``, ``decided_at``,
``urgency`` and ``pathway`` (the clinician's version: the proposal's when accepted, the
clinician's own when amended, None when rejected), ``proposed_urgency`` and
``proposed_pathway``, ``proposed_at``, ``proposed_rules`` (the rule ids that fired) and
``proposed_versions`` (the ruleset and model versions that made the proposal): copied from the
suggestion when it is decided, so oversight figures read the decisions alone, never a join to
every proposal; ``reason`` (encrypted: why it was amended or rejected; it may describe the
client).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import EncryptedField, EncryptedModel


class DecisionOutcome(enum.StrEnum):
    """What the clinician did with the proposal."""

    ACCEPTED = "accepted"
    AMENDED = "amended"
    REJECTED = "rejected"


class Decision(EncryptedModel, IdMixin, Base):
    """A clinician's decision on a suggestion; the record keeps the clinician's version."""

    __tablename__ = "decisions"
    # Oversight: an organisation's decisions of the last weeks.
    __table_args__ = (Index("ix_decisions_org_decided", "organization_id", "decided_at"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    suggestion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[DecisionOutcome] = mapped_column(
        Enum(
            DecisionOutcome,
            name="decision_outcome",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    urgency: Mapped[str | None] = mapped_column(String(20), nullable=True)
    pathway: Mapped[str | None] = mapped_column(String(80), nullable=True)
    proposed_urgency: Mapped[str] = mapped_column(String(20))
    proposed_pathway: Mapped[str] = mapped_column(String(80))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    proposed_rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    proposed_versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason_ct: Mapped[bytes | None] = mapped_column(
        "reason", LargeBinary, nullable=True, info=phi()
    )
    reason = EncryptedField("reason_ct", column_name="reason")
