"""WaitlistEntry: a client waiting for a first appointment after an accepted triage decision.

Fields
------
- ``urgency`` (``crisis`` | ``urgent`` | ``soon`` | ``routine``) and ``pathway``: as the
  clinician decided them; the list is ordered by urgency, then by ``added_at``.
- ``status``: ``waiting`` → ``booked`` (a first appointment was confirmed) | ``back_to_triage``
  (a re-screen showed reliable deterioration or a risk flag: a clinician must look again) |
  ``removed`` (left the list; ``status_reason`` says why).
- ``decided_by_id``: the clinician whose decision put the client here (reviewer of re-screens).
- ``decision_ref``: the decision or suggestion id it came from, as text (that table belongs to
  the review service).
- ``next_rescreen_at``, ``last_rescreen_at``, ``rescreen_intake_id``: re-screening at the
  organisation's interval; the link created last time, until it is submitted.
- ``baseline`` (encrypted JSON ``{instrument_id: total}``): the totals later screens are
  compared with for reliable change.
- ``status_reason`` (encrypted): why it left ``waiting`` (may describe the client).
- ``previous_clinician_id``: an earlier clinician, for continuity in matching.
"""

from __future__ import annotations

import enum
import json
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import ERASED, EncryptedField, EncryptedModel


class WaitlistStatus(enum.StrEnum):
    """Where a waitlist place is."""

    WAITING = "waiting"
    BOOKED = "booked"
    BACK_TO_TRIAGE = "back_to_triage"
    REMOVED = "removed"


class WaitlistEntry(EncryptedModel, IdMixin, Base):
    """One client's place on the waitlist."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        Index("ix_waitlist_entries_org_status", "organization_id", "status"),
        # The waitlist page: one index range per urgency, longest waiting first.
        Index("ix_waitlist_entries_queue", "organization_id", "urgency", "added_at", "id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    urgency: Mapped[str] = mapped_column(String(20))
    pathway: Mapped[str] = mapped_column(String(80))
    status: Mapped[WaitlistStatus] = mapped_column(
        Enum(
            WaitlistStatus,
            name="waitlist_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=WaitlistStatus.WAITING,
    )
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decision_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    previous_clinician_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_rescreen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_rescreen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rescreen_intake_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("intakes.id", ondelete="SET NULL"), nullable=True
    )
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    baseline_ct: Mapped[bytes | None] = mapped_column(
        "baseline", LargeBinary, nullable=True, info=phi()
    )
    baseline_json = EncryptedField("baseline_ct", column_name="baseline")
    status_reason_ct: Mapped[bytes | None] = mapped_column(
        "status_reason", LargeBinary, nullable=True, info=phi()
    )
    status_reason = EncryptedField("status_reason_ct", column_name="status_reason")

    @property
    def baseline(self) -> dict[str, int]:
        """The baseline totals by instrument (empty when none, or once the client was erased)."""
        raw = self.baseline_json
        if not raw or raw == ERASED:
            return {}
        parsed: dict[str, int] = json.loads(raw)
        return parsed
