"""ErasureRequest: a client's (or staff on their behalf) request to erase their record.

The row outlives the erasure it asks for, as the proof that the request was honoured: it holds
no personal data (no name, no contact details, no free text from the client). The clinical
lead's reason is staff wording and is kept after erasure, so it must not repeat the client's
details. ``certificate`` is what the requester is given once it is decided: what was erased,
what was kept and why. ``certificate_token_hash`` is the SHA-256 of a link handed to the
requester when they asked, so a client whose login has been erased can still read it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime


class ErasureStatus(enum.StrEnum):
    """Where an erasure request is: waiting for the lead, or decided."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class ErasureRequest(IdMixin, Base):
    """A request to erase one client's record, the lead's decision and its certificate."""

    __tablename__ = "erasure_requests"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    requested_by_role: Mapped[str] = mapped_column(String(32))
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[ErasureStatus] = mapped_column(
        Enum(
            ErasureStatus,
            name="erasure_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ErasureStatus.PENDING,
        index=True,
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decided_by_role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    certificate: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    certificate_token_hash: Mapped[str | None] = mapped_column(
        String(64), nullable=True, unique=True
    )
