"""Availability: a clinician's recurring weekly hours and their exceptions (leave, extra hours).

One row is one of three kinds:

- ``weekly``: ``weekday`` (0 = Monday) and ``local_start``/``local_end``, wall-clock times in
  the clinician's zone (``ClinicianProfile.timezone``), so 09:00 stays 09:00 across a
  daylight-saving change.
- ``extra``: one-off hours on ``day`` (a local date), ``local_start`` to ``local_end``.
- ``leave``: time away from ``starts_at`` to ``ends_at`` (aware, stored in UTC); every slot it
  touches is withdrawn, extra hours included.

``note`` is the staff member's own wording ("annual leave"); it describes the clinician, never
a client, so it is not encrypted.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time

from sqlalchemy import Date, Enum, ForeignKey, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime


class AvailabilityKind(enum.StrEnum):
    """What an availability row says: recurring hours, one-off extra hours, or leave."""

    WEEKLY = "weekly"
    EXTRA = "extra"
    LEAVE = "leave"


class Availability(IdMixin, Base):
    """One block of a clinician's working time, or an exception to it."""

    __tablename__ = "availability"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    clinician_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AvailabilityKind] = mapped_column(
        Enum(
            AvailabilityKind,
            name="availability_kind",
            native_enum=False,
            length=10,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    weekday: Mapped[int | None] = mapped_column(Integer, nullable=True)
    day: Mapped[date | None] = mapped_column(Date, nullable=True)
    local_start: Mapped[time | None] = mapped_column(Time, nullable=True)
    local_end: Mapped[time | None] = mapped_column(Time, nullable=True)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="")
