"""Suggestion: an output of a rule or model, proposed to a clinician who decides on it.

Every proposal Alongside makes is stored as one of these (DESIGN.md: "Every output of a model
or rule is stored as a Suggestion"). Nothing in a suggestion reaches the client or the signed
record until a clinician has decided (invariant 1).

Fields
------
- ``organization_id``, ``client_id``, ``intake_id`` (for ``kind="triage"``: the intake it
  was proposed for).
- ``kind``: what is proposed (``triage``).
- ``status``: ``proposed`` → ``accepted`` | ``amended`` | ``rejected`` (moved only by the
  review service, by a clinician; decisions and their reasons belong there).
- ``urgency`` (``crisis`` | ``urgent`` | ``soon`` | ``routine``), ``pathway``,
  ``alternative_pathways`` (other indicated pathways), ``fired_rules`` (rule ids).
- ``needs_human_reading``: the client's words were not read by software (declined or reader
  unavailable): a person must read them.
- ``inputs_digest``: SHA-256 of the canonical JSON of the inputs
  (:func:`alongside.triage.engine.inputs_digest` of ``{"scores", "risk", "reader_consent"}``).
- ``versions``: ``{"ruleset", "ruleset_version", ..., "instruments": {id: version},
  "risk": {...} | None}``.
- ``reasons`` (encrypted JSON list of ``{rule_id, text, source, urgency}``; a reason may quote
  the client's words), ``inputs`` (encrypted JSON of the triage inputs, so the proposal can be
  replayed under another ruleset version: :class:`alongside.triage.TriageInputs`).
- ``proposed_at``; ``alerted_user_id`` and ``alerted_at``: who was alerted on call for a
  crisis proposal, and when the alert was enqueued (None: no alert was needed or possible).
"""

from __future__ import annotations

import enum
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import ERASED, EncryptedField, EncryptedModel


class SuggestionStatus(enum.StrEnum):
    """Where a suggestion is: waiting for a clinician, or decided."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    AMENDED = "amended"
    REJECTED = "rejected"


class Suggestion(EncryptedModel, IdMixin, Base):
    """A proposal (triage, for now) with its inputs' digest, versions and reasons."""

    __tablename__ = "suggestions"
    # The review queue: one index range per urgency, oldest first (see review.service).
    __table_args__ = (
        Index(
            "ix_suggestions_queue",
            "organization_id",
            "kind",
            "status",
            "urgency",
            "proposed_at",
            "id",
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    intake_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("intakes.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[SuggestionStatus] = mapped_column(
        Enum(
            SuggestionStatus,
            name="suggestion_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=SuggestionStatus.PROPOSED,
        index=True,
    )
    urgency: Mapped[str] = mapped_column(String(20), index=True)
    pathway: Mapped[str] = mapped_column(String(80))
    alternative_pathways: Mapped[list[str]] = mapped_column(JSON, default=list)
    fired_rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs_human_reading: Mapped[bool] = mapped_column(Boolean, default=False)
    inputs_digest: Mapped[str] = mapped_column(String(64))
    versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reasons_ct: Mapped[bytes] = mapped_column("reasons", LargeBinary, info=phi())
    reasons = EncryptedField("reasons_ct", column_name="reasons")
    inputs_ct: Mapped[bytes] = mapped_column("inputs", LargeBinary, info=phi())
    inputs = EncryptedField("inputs_ct", column_name="inputs")
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    alerted_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def reason_list(self) -> list[dict[str, Any]]:
        """Reasons, most urgent first: ``{rule_id, text, source, urgency}`` each."""
        raw = self.reasons
        if not raw or raw == ERASED:
            return []
        parsed: list[dict[str, Any]] = json.loads(raw)
        return parsed

    @property
    def inputs_dict(self) -> dict[str, Any]:
        """The triage inputs (scores, risk, reader_consent) as proposed on."""
        raw = self.inputs
        if not raw or raw == ERASED:
            return {}
        parsed: dict[str, Any] = json.loads(raw)
        return parsed
