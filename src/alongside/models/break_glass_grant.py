"""BreakGlassGrant: emergency access to a client outside the clinician's care team."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import EncryptedField, EncryptedModel


class BreakGlassGrant(EncryptedModel, IdMixin, Base):
    """A stated reason, a time limit, and a place on the clinical lead's review list."""

    __tablename__ = "break_glass_grants"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    clinician_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    # The reason may name the client's situation, so it is encrypted with their key.
    reason_ct: Mapped[bytes] = mapped_column("reason", LargeBinary, info=phi())
    reason = EncryptedField("reason_ct", column_name="reason")
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
