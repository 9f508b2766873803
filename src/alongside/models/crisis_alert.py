"""CrisisAlert: the on-call alert for one crisis proposal, its escalation and acknowledgement.

The first alert is enqueued by :mod:`alongside.triage.service` when the intake is stored; this
row follows it (:mod:`alongside.triage.escalation`). Fields:

- ``organization_id``, ``client_id``, ``suggestion_id`` (unique: one alert per proposal),
  ``intake_id``.
- ``chain``: the escalation path as user id strings (on call, next on call, clinical lead);
  ``level``: index into it of the person alerted last (-1: nobody could be alerted yet);
  ``recipient_id``: that person; ``sent_at``: when they were alerted; ``escalate_at``: when
  the next person is alerted if nobody has acknowledged (None once acknowledged or when the
  chain is exhausted); ``exhausted_at``: everyone on the path was alerted.
- ``case_url`` (the link the alerts carry; no client details) and ``page_webhook`` (the
  first alert also went to the ``oncall`` webhook, so escalations do too).
- ``acknowledged_by_id``, ``acknowledged_at``, ``action_taken`` (``client_called``,
  ``emergency_services_contacted``, ``no_answer``, ``other``) and ``action_note``
  (encrypted: it may describe the client).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import EncryptedField, EncryptedModel


class CrisisAction(enum.StrEnum):
    """What the person who acknowledged the alert did."""

    CLIENT_CALLED = "client_called"
    EMERGENCY_SERVICES_CONTACTED = "emergency_services_contacted"
    NO_ANSWER = "no_answer"
    OTHER = "other"


class CrisisAlert(EncryptedModel, IdMixin, Base):
    """An on-call alert for a crisis proposal, escalated until someone acknowledges it."""

    __tablename__ = "crisis_alerts"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    suggestion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), unique=True
    )
    intake_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("intakes.id", ondelete="CASCADE"), nullable=True, index=True
    )
    chain: Mapped[list[str]] = mapped_column(JSON, default=list)
    level: Mapped[int] = mapped_column(Integer, default=0)
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    exhausted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    case_url: Mapped[str] = mapped_column(String(500))
    page_webhook: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    action_taken: Mapped[str | None] = mapped_column(String(40), nullable=True)
    action_note_ct: Mapped[bytes | None] = mapped_column(
        "action_note", LargeBinary, nullable=True, info=phi()
    )
    action_note = EncryptedField("action_note_ct", column_name="action_note")
