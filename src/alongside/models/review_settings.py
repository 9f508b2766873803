"""ReviewSettings: an organisation's crisis escalation time and reviewers' time after deciding.

One row per organisation; a missing row or a NULL field means the default (escalation after
15 minutes, 72 hours). The review-wait targets are not here: they are part of the triage rules
(the active ruleset version's ``wait_targets``), so there is one place to change them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime


class ReviewSettings(IdMixin, Base):
    """Minutes before a crisis alert escalates, and how long a reviewer keeps a decided case."""

    __tablename__ = "review_settings"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    escalation_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # How long an assigned reviewer keeps the case open after deciding (None: 72 hours).
    assignment_hours_after_decision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
