"""RulesetActivation: who made a ruleset version the active one, when, and why.

Append-only: one row per activation, with the reason the clinical lead gave (required), the
version that was active before, and the review-wait targets the version set (``None`` when it
set none). The audit log records the same activation as an event; this table keeps the reason,
for the rules page. Rules hold no client data, and neither does this.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime


class RulesetActivation(IdMixin, Base):
    """One activation of a ruleset version, by a named person, with their reason."""

    __tablename__ = "ruleset_activations"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    ruleset_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ruleset_versions.id", ondelete="CASCADE"), index=True
    )
    # "alongside-default 2.0.0": what new intakes were triaged with until then.
    previous: Mapped[str] = mapped_column(String(200))
    activated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    activated_by_name: Mapped[str] = mapped_column(String(200))
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    # Minutes by urgency that the activation set as the review-wait targets, if any.
    wait_targets: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
