"""RiskReading: what the risk reader made of a client's own words (only with their consent).

Fields: ``level`` (``none`` … ``imminent``; the reader fails closed to ``high``),
``probability``, ``reader_available`` (False when the reader failed and this is the
fail-closed placeholder, not a reading of the words), ``versions`` (rules, model, data digest),
``evidence`` (encrypted JSON list of spans ``{start, end, text, signal}`` — they quote the
client), ``reasons`` (encrypted JSON list; they may quote the client), ``read_at``. Use
:attr:`evidence_list`, :attr:`reason_list` and :meth:`to_reading_dict` to read them.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import ERASED, EncryptedField, EncryptedModel


def _json_list(raw: str | None) -> list[Any]:
    if not raw or raw == ERASED:
        return []
    parsed: list[Any] = json.loads(raw)
    return parsed


class RiskReading(EncryptedModel, IdMixin, Base):
    """One reading of one client's words for risk, with its evidence and versions."""

    __tablename__ = "risk_readings"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    intake_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("intakes.id", ondelete="CASCADE"), nullable=True, index=True
    )
    level: Mapped[str] = mapped_column(String(20))
    probability: Mapped[float] = mapped_column(Float)
    reader_available: Mapped[bool] = mapped_column(Boolean, default=True)
    versions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    evidence_ct: Mapped[bytes] = mapped_column("evidence", LargeBinary, info=phi())
    evidence = EncryptedField("evidence_ct", column_name="evidence")
    reasons_ct: Mapped[bytes] = mapped_column("reasons", LargeBinary, info=phi())
    reasons = EncryptedField("reasons_ct", column_name="reasons")
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def evidence_list(self) -> list[dict[str, Any]]:
        """Evidence spans: ``{start, end, text, signal}`` each."""
        return _json_list(self.evidence)

    @property
    def reason_list(self) -> list[str]:
        """The reader's reasons, in its order."""
        return [str(reason) for reason in _json_list(self.reasons)]

    def to_reading_dict(self) -> dict[str, Any]:
        """The reading in the shape of ``alongside.risk.RiskReading.to_dict()``."""
        return {
            "level": self.level,
            "probability": self.probability,
            "evidence": self.evidence_list,
            "reasons": self.reason_list,
            "versions": dict(self.versions),
        }
