"""RulesetVersion: one organisation's triage ruleset version, kept for replaying old decisions.

Fields: ``ruleset_id`` and ``version`` (from the YAML; unique per organisation), ``yaml_text``
(the document as the clinical lead wrote it), ``note`` (why it changed), ``created_by_id``,
``activated_at`` and ``activated_by_id`` (when it became the one new intakes are triaged
with), ``is_active`` (at most one per organisation; without any, the built-in default
ruleset is active). Old versions are never deleted. Rules hold no client data.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime


class RulesetVersion(IdMixin, Base):
    """A stored triage ruleset version of one organisation."""

    __tablename__ = "ruleset_versions"
    __table_args__ = (
        UniqueConstraint("organization_id", "ruleset_id", "version", name="org_ruleset_version"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    ruleset_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(80))
    yaml_text: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    activated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
