"""CrisisResourceChange: who changed an organisation's local crisis services, what, and when.

Append-only: one row per added, changed or removed local service (``before`` and ``after`` are
the entry as JSON, ``None`` when it did not exist), or a change of country. The audit log
records the same change as an event; this table keeps what changed, for the admin page.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime


class CrisisResourceChange(IdMixin, Base):
    """One change to an organisation's crisis resources, by a named person."""

    __tablename__ = "crisis_resource_changes"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    changed_by_name: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    change: Mapped[str] = mapped_column(String(20))
    resource_key: Mapped[str] = mapped_column(String(60))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
