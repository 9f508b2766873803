"""SchedulingRules: the rules an organisation sets for its diary (one row per organisation).

An organisation without a row uses the defaults in
:data:`alongside.scheduling.service.DEFAULT_RULES`.

Fields: ``rescreen_interval_days`` (how often waitlisted clients are re-screened),
``client_change_cutoff_hours`` (clients may cancel or move an appointment only until this many
hours before it), ``reminder_offsets_hours`` (JSON list, e.g. ``[48, 2]``), ``slot_minutes``
(length of a bookable slot) and ``horizon_days`` (how far ahead slots are offered).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, UTCDateTime


class SchedulingRules(Base):
    """An organisation's scheduling rules."""

    __tablename__ = "scheduling_rules"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    rescreen_interval_days: Mapped[int] = mapped_column(Integer, default=28)
    client_change_cutoff_hours: Mapped[int] = mapped_column(Integer, default=24)
    reminder_offsets_hours: Mapped[list[int]] = mapped_column(JSON, default=list)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=50)
    horizon_days: Mapped[int] = mapped_column(Integer, default=14)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
