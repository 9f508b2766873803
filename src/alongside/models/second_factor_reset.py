"""SecondFactorReset: an administrator's request to reset someone's second factor, and the
clinical lead's decision on it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime


class ResetStatus(enum.StrEnum):
    """Waiting for a clinical lead, or decided."""

    WAITING = "waiting"
    APPROVED = "approved"
    DECLINED = "declined"


class SecondFactorReset(IdMixin, Base):
    """A request to remove a person's second factor so they set a new one at next sign-in.

    Two people are needed: an administrator asks (with a reason) and a clinical lead other
    than the asker and the person decides; nothing is removed before the approval.
    """

    __tablename__ = "second_factor_resets"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # About a colleague's phone or app, never a client: kept as written.
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[ResetStatus] = mapped_column(
        Enum(
            ResetStatus,
            name="second_factor_reset_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ResetStatus.WAITING,
    )
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
