"""Score: one scored questionnaire, with the band, flags and the instrument version.

Fields: ``instrument_id``, ``instrument_version``, ``total`` (None for instruments without a
summed score, e.g. the C-SSRS screener), ``severity`` (the source's band, or the C-SSRS risk
category), ``flags`` (critical items answered positively, e.g. ``phq9-item9``), ``result``
(encrypted: the whole :meth:`alongside.instruments.ScoreResult.to_dict`, answers included),
``scored_at``; ``intake_id`` and ``questionnaire_response_id`` link it to what was scored.
Use :attr:`result_dict` to read the full result.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import ERASED, EncryptedField, EncryptedModel


class Score(EncryptedModel, IdMixin, Base):
    """The score of one instrument for one client at one time."""

    __tablename__ = "scores"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    intake_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("intakes.id", ondelete="CASCADE"), nullable=True, index=True
    )
    questionnaire_response_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("questionnaire_responses.id", ondelete="SET NULL"), nullable=True
    )
    instrument_id: Mapped[str] = mapped_column(String(40))
    instrument_version: Mapped[str] = mapped_column(String(20))
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    severity: Mapped[str] = mapped_column(String(40))
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    result_ct: Mapped[bytes] = mapped_column("result", LargeBinary, info=phi())
    result = EncryptedField("result_ct", column_name="result")
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def result_dict(self) -> dict[str, Any]:
        """The full score result as stored (empty once the client was erased)."""
        raw = self.result
        if not raw or raw == ERASED:
            return {}
        parsed: dict[str, Any] = json.loads(raw)
        return parsed
