"""MeasurementPlan: which questionnaires a client repeats, and when (one plan per client).

Fields
------
- ``instruments``: instrument ids asked each time (JSON list, in library order).
- ``cadence``: ``before_session`` (a link ``lead_hours`` before each booked appointment) or
  ``interval`` (every ``interval_days`` days from ``anchor_at``).
- ``active``: a paused plan sends nothing.
- ``set_by_id``: the clinician who last set the plan; the links are created in their name
  (they review the answers) while they stay on the care team.
- ``last_due_at``: the due time last acted on: the session's start (``before_session``) or the
  due date (``interval``). Moved forward by a compare-and-set before a link is created, so each
  plan and due time gets one link however many runs overlap.
- ``last_intake_id``: the intake link created for ``last_due_at``.

Nothing here is free text; the instrument list and cadence are not encrypted.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime


class Cadence(enum.StrEnum):
    """When repeat measures are sent."""

    BEFORE_SESSION = "before_session"
    INTERVAL = "interval"


class MeasurementPlan(IdMixin, Base):
    """A client's repeat measures: instruments, cadence, and the last due time acted on."""

    __tablename__ = "measurement_plans"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), unique=True
    )
    instruments: Mapped[list[str]] = mapped_column(JSON)
    cadence: Mapped[Cadence] = mapped_column(
        Enum(
            Cadence,
            name="measurement_cadence",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    interval_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lead_hours: Mapped[int] = mapped_column(Integer, default=48)
    anchor_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    set_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_intake_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("intakes.id", ondelete="SET NULL"), nullable=True
    )
