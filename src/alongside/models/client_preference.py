"""ClientPreference: what a client needs and would like from their clinician and sessions.

Fields
------
- ``language``: vocabulary code; None means the client's ``preferred_language``.
- ``modality`` (+ ``modality_required``), ``preferred_gender``, ``times_of_day`` (codes),
  ``setting`` (``in_person`` | ``telehealth`` | ``either``), ``site_ids`` (sites the client can
  reach in person; empty means any), ``population`` (e.g. ``adults``), ``time_zone`` (the
  client's clock for times of day; None means the organisation's).
- ``specialty`` (encrypted): the area of difficulty they want a clinician to focus on, which
  says something about their health.
- ``remind_email``, ``remind_webhook``: reminder consent per channel (the webhook is the SMS
  gateway); no reminder goes on a channel the client did not agree to.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, UTCDateTime, phi
from alongside.models.encrypted import EncryptedField, EncryptedModel


class ClientPreference(EncryptedModel, Base):
    """One client's matching needs, wishes and reminder consent."""

    __tablename__ = "client_preferences"

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    modality: Mapped[str | None] = mapped_column(String(40), nullable=True)
    modality_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    preferred_gender: Mapped[str | None] = mapped_column(String(40), nullable=True)
    setting: Mapped[str] = mapped_column(String(20), default="either")
    site_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    times_of_day: Mapped[list[str]] = mapped_column(JSON, default=list)
    population: Mapped[str | None] = mapped_column(String(40), nullable=True)
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    specialty_ct: Mapped[bytes | None] = mapped_column(
        "specialty", LargeBinary, nullable=True, info=phi()
    )
    specialty = EncryptedField("specialty_ct", column_name="specialty")
    remind_email: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    remind_webhook: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
