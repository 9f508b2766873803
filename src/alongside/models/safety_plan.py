"""SafetyPlan: one version of a client's safety plan (Stanley & Brown's six steps).

Each save is a new row with the next ``version`` (unique per client); older versions stay on
the record. ``steps`` (encrypted JSON ``{step key: text}``, the client's words),
``template_version`` (of :mod:`alongside.notes.library`'s safety-plan template),
``author_id`` (the clinician who wrote it with the client), ``note_id`` (the note whose
prompt led to it, if any).
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, phi
from alongside.models.encrypted import ERASED, EncryptedField, EncryptedModel


class SafetyPlan(EncryptedModel, IdMixin, Base):
    """A version of a client's safety plan, written with them."""

    __tablename__ = "safety_plans"
    __table_args__ = (UniqueConstraint("client_id", "version", name="client_version"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    template_version: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    note_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notes.id", ondelete="SET NULL"), nullable=True
    )
    steps_ct: Mapped[bytes] = mapped_column("steps", LargeBinary, info=phi())
    steps = EncryptedField("steps_ct", column_name="steps")

    @property
    def step_texts(self) -> dict[str, str]:
        """Step key to the client's words (empty once the client was erased)."""
        raw = self.steps
        if not raw or raw == ERASED:
            return {}
        parsed: dict[str, str] = json.loads(raw)
        return parsed
