"""Intake: one client's screening link, from creation by staff to submission by the client.

Fields
------
- ``organization_id``, ``client_id``: the tenant and the client the intake is for.
- ``created_by_id``: the staff member who made the link; ``reviewer_id``: the clinician who
  reviews it (put on the client's care team with ``team_role="intake"`` when not already on it).
- ``token_hash``: SHA-256 (hex) of the link's single-use token; the token itself is never
  stored or logged. The token works while ``status`` is ``open`` and ``expires_at`` is ahead.
- ``instruments``: the instrument ids asked, in order (JSON list).
- ``status``: ``open`` → ``submitted`` (a compare-and-set in :mod:`alongside.triage.service`,
  so a link can be submitted only once).
- ``own_words`` (encrypted): what the client wrote in their own words;
  ``own_words_saved_at``: when that step was completed (the text may be empty).
- ``consent_text_version``: the version of the consent text the client was shown.
- ``needs_human_reading``: the words were not read by software (declined, or the reader was
  unavailable) and a person must read them.
- ``submitted_at``, ``updated_at``: when it was submitted and last saved.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import EncryptedField, EncryptedModel


class IntakeStatus(enum.StrEnum):
    """Where an intake is: waiting for the client, or submitted (the link is then spent)."""

    OPEN = "open"
    SUBMITTED = "submitted"


class Intake(EncryptedModel, IdMixin, Base):
    """A client's intake: consent, questionnaires and own words, reached by a single-use link."""

    __tablename__ = "intakes"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    instruments: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[IntakeStatus] = mapped_column(
        Enum(
            IntakeStatus,
            name="intake_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=IntakeStatus.OPEN,
        index=True,
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consent_text_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    own_words_ct: Mapped[bytes | None] = mapped_column(
        "own_words", LargeBinary, nullable=True, info=phi()
    )
    own_words = EncryptedField("own_words_ct", column_name="own_words")
    own_words_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    needs_human_reading: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
