"""Appointment: one booked session between a client and a clinician.

No double booking, enforced by the database: on PostgreSQL two exclusion constraints (created by
the migration, ``btree_gist``) refuse two *active* appointments whose ``tstzrange(starts_at,
ends_at)`` overlap for one clinician or for one client; on SQLite triggers do the same check
inside the inserting transaction, which begins ``IMMEDIATE`` and so is serialised. The service
checks first so a person gets a clear message; the database is the guarantee under concurrency.

Fields
------
- ``status``: ``booked`` → ``attended`` | ``no_show`` | ``cancelled`` | ``rescheduled``
  (rescheduling closes this row and books a new one with ``rescheduled_from_id`` pointing back).
  Active (holds its time) = every status but ``cancelled`` and ``rescheduled``.
- ``kind``: the appointment type (``assessment``, ``therapy``, ``review``), shown in calendar
  feeds instead of anything about the client.
- ``setting``: ``in_person`` (at ``site_id``) or ``telehealth``.
- ``reason`` (encrypted): the latest reason given (booking, moving, cancelling, no-show), which
  may describe the client's situation.
- ``waitlist_entry_id``: the waitlist place this first appointment came from, if any.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import EncryptedField, EncryptedModel


class AppointmentStatus(enum.StrEnum):
    """Where an appointment is in its life."""

    BOOKED = "booked"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"


# Statuses whose time no longer holds a place in either person's diary.
INACTIVE_STATUSES: tuple[AppointmentStatus, ...] = (
    AppointmentStatus.CANCELLED,
    AppointmentStatus.RESCHEDULED,
)


class AppointmentKind(enum.StrEnum):
    """The type of appointment, the only thing a calendar feed says about it."""

    ASSESSMENT = "assessment"
    THERAPY = "therapy"
    REVIEW = "review"


class Appointment(EncryptedModel, IdMixin, Base):
    """A session between one client and one clinician at one time."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_appointments_clinician_starts", "clinician_id", "starts_at"),
        Index("ix_appointments_client_starts", "client_id", "starts_at"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    clinician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), nullable=True
    )
    waitlist_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("waitlist_entries.id", ondelete="SET NULL"), nullable=True
    )
    rescheduled_from_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), nullable=True
    )
    booked_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[AppointmentStatus] = mapped_column(
        Enum(
            AppointmentStatus,
            name="appointment_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=AppointmentStatus.BOOKED,
        index=True,
    )
    kind: Mapped[AppointmentKind] = mapped_column(
        Enum(
            AppointmentKind,
            name="appointment_kind",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=AppointmentKind.ASSESSMENT,
    )
    setting: Mapped[str] = mapped_column(String(20), default="telehealth")
    reason_ct: Mapped[bytes | None] = mapped_column(
        "reason", LargeBinary, nullable=True, info=phi()
    )
    reason = EncryptedField("reason_ct", column_name="reason")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def is_active(self) -> bool:
        """Whether the appointment still holds its time."""
        return self.status not in INACTIVE_STATUSES

    @property
    def start(self) -> datetime:
        """Start, so an appointment is a busy range for :mod:`alongside.scheduling.availability`."""
        return self.starts_at

    @property
    def end(self) -> datetime:
        """End, as :attr:`start`."""
        return self.ends_at
