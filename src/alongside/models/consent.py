"""Consent: one purpose a client agreed to or declined, with the version of the text shown.

Fields: ``purpose`` (``intake_processing`` — required to take part; ``software_reading`` —
optional: software reads the client's words to help prioritise), ``granted``,
``text_version`` (the consent text's version id, see :mod:`alongside.intake.consent_text`),
``recorded_at``; ``intake_id`` when it was given in an intake. One row per intake and purpose:
changing the answer before submitting updates the row.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime

INTAKE_PROCESSING = "intake_processing"
SOFTWARE_READING = "software_reading"


class Consent(IdMixin, Base):
    """A client's answer to one consent purpose, and the text version they were shown."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("intake_id", "purpose", name="intake_purpose"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    intake_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("intakes.id", ondelete="CASCADE"), nullable=True, index=True
    )
    purpose: Mapped[str] = mapped_column(String(40))
    granted: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
