"""ClinicianProfile: what a clinician offers (specialties, languages, modalities, settings).

Codes come from :mod:`alongside.scheduling.vocabulary` and are checked by
:func:`alongside.scheduling.service.save_clinician_profile` before they are stored.

Fields
------
- ``specialties``, ``languages``, ``modalities``, ``populations``: lists of vocabulary codes.
- ``gender``: a :data:`~alongside.scheduling.vocabulary.GENDERS` code or None (not stated).
- ``in_person``, ``telehealth``: the settings the clinician sees new clients in; in person at
  the user's ``site_id``.
- ``timezone``: the IANA zone their weekly hours are written in.
- ``caseload_capacity``: how many active clients they can hold.
"""

from __future__ import annotations

import uuid

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base


class ClinicianProfile(Base):
    """The parts of a clinician that matching and clients care about."""

    __tablename__ = "clinician_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    specialties: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    modalities: Mapped[list[str]] = mapped_column(JSON, default=list)
    caseload_capacity: Mapped[int] = mapped_column(Integer, default=25)
    populations: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    gender: Mapped[str | None] = mapped_column(String(40), nullable=True)
    in_person: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    telehealth: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
