"""ClinicianProfile: what a clinician offers (specialties, languages, modalities)."""

from __future__ import annotations

import uuid

from sqlalchemy import JSON, ForeignKey, Integer
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
