"""ReviewSettings: an organisation's review-wait targets and crisis escalation time.

One row per organisation; a missing row or a NULL field means the default
(:data:`alongside.review.queue.DEFAULT_TARGET_MINUTES`, escalation after 15 minutes). The
defaults are starting points for a clinic to configure, not clinical standards.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime


class ReviewSettings(IdMixin, Base):
    """Targets for time to review by urgency, and minutes before a crisis alert escalates."""

    __tablename__ = "review_settings"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    target_crisis_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    target_urgent_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    target_soon_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    target_routine_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    escalation_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # How long an assigned reviewer keeps the case open after deciding (None: 72 hours).
    assignment_hours_after_decision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
