"""OnCallRota: who is alerted first when an intake is triaged as crisis, and who comes next.

Fields: ``organization_id`` (one rota per organisation), ``member_ids`` (JSON list of user id
strings, in rota order), ``position`` (index of the person currently on call; escalation moves
on from there, wrapping round). Without a rota the organisation's active clinicians ordered by
creation are used, starting with the first (see
:func:`alongside.triage.service.on_call_sequence`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime


class OnCallRota(IdMixin, Base):
    """An organisation's ordered on-call list and whose turn it is."""

    __tablename__ = "on_call_rotas"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    member_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
