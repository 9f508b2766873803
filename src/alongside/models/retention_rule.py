"""RetentionRule: how long the organisation keeps one type of record, and the law that says so.

Configurable data, one row per organisation and record type. ``years`` is None when the
operator has not set a period (US state rules differ and are left to the operator); such a
record type is never listed as past its retention. Periods run from the client's last contact
with the service.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin


class RetentionRule(IdMixin, Base):
    """The minimum retention period of one record type, with its legal source."""

    __tablename__ = "retention_rules"
    __table_args__ = (
        UniqueConstraint("organization_id", "record_type", name="organization_record_type"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    record_type: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    years: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(500))
