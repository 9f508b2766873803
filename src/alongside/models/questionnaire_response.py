"""QuestionnaireResponse: a client's answers to one instrument, saved as they go.

Fields: ``instrument_id`` and ``instrument_version`` (the definition the answers were given
against), ``answers`` (encrypted JSON object, item id → answer value, only items that were
asked), ``completed`` (every asked item answered), ``updated_at``; ``intake_id`` when given in
an intake (one response per intake and instrument). Use :attr:`answer_map` to read the answers.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import ERASED, EncryptedField, EncryptedModel


class QuestionnaireResponse(EncryptedModel, IdMixin, Base):
    """Answers to one instrument, encrypted with the client's key."""

    __tablename__ = "questionnaire_responses"
    __table_args__ = (UniqueConstraint("intake_id", "instrument_id", name="intake_instrument"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    intake_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("intakes.id", ondelete="CASCADE"), nullable=True, index=True
    )
    instrument_id: Mapped[str] = mapped_column(String(40))
    instrument_version: Mapped[str] = mapped_column(String(20))
    answers_ct: Mapped[bytes] = mapped_column("answers", LargeBinary, info=phi())
    answers = EncryptedField("answers_ct", column_name="answers")
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def answer_map(self) -> dict[str, int]:
        """The answers as item id → value."""
        raw = self.answers
        if not raw or raw == ERASED:
            return {}
        parsed = json.loads(raw)
        return {str(key): int(value) for key, value in parsed.items()}

    def set_answers(self, answers: dict[str, int]) -> None:
        """Replace the stored answers (encrypted on flush)."""
        self.answers = json.dumps(answers, sort_keys=True)
