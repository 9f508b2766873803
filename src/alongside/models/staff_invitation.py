"""StaffInvitation: an administrator's invitation to a new colleague, accepted through a link."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime
from alongside.models.user import Role


class InvitationState(enum.StrEnum):
    """Where an invitation is: waiting for the person, or finished one way or another."""

    WAITING = "waiting"
    EXPIRED = "expired"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"


class StaffInvitation(IdMixin, Base):
    """An emailed, single-use link with which a new staff member chooses their own password.

    Only the SHA-256 of the link's token is stored; sending the invitation again makes a new
    token (the old link stops working) and a new expiry. The account is made when the person
    accepts, with the name, email and role the administrator gave here.
    """

    __tablename__ = "staff_invitations"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # A work address, stored as staff addresses are (users.email).
    email: Mapped[str] = mapped_column(String(254), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="invitation_role",
            native_enum=False,
            length=20,
            values_callable=lambda roles: [r.value for r in roles],
        )
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The account the person made with it.
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    def state(self, now: datetime) -> InvitationState:
        """Waiting, expired, accepted or withdrawn at ``now``."""
        if self.accepted_at is not None:
            return InvitationState.ACCEPTED
        if self.withdrawn_at is not None:
            return InvitationState.WITHDRAWN
        if now >= self.expires_at:
            return InvitationState.EXPIRED
        return InvitationState.WAITING
