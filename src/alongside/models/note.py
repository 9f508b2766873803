"""Note: a progress note (per appointment or ad hoc) or a psychotherapy note, on the record.

Fields
------
- ``organization_id``, ``client_id``; ``appointment_id`` (None: an ad hoc note);
  ``author_id``: who wrote it (psychotherapy notes are readable by their author alone).
- ``kind``: ``progress`` | ``psychotherapy``.
- ``template_id``, ``template_version``: the versioned template it was written with
  (:mod:`alongside.notes.library`); ``composer_version``: the composer that drafted it (None
  for notes no software drafted: psychotherapy notes).
- ``status``: ``draft`` → ``signed``; a trainee's note goes ``draft`` →
  ``awaiting_cosignature`` → ``signed`` when their supervisor co-signs. Anything but a draft
  is immutable: corrections are addenda (:class:`~alongside.models.note_addendum.NoteAddendum`).
- ``sections`` (encrypted JSON: ``[{key, title, sentences: [{text, source: {type, id, quote},
  supported, prompt}]}]``) and ``jottings`` (encrypted: what the clinician typed after the
  session); both quote the client.
- ``signed_at``, ``signed_by_id``, ``cosign_required``, ``cosigned_at``, ``cosigned_by_id``,
  ``updated_at``.
"""

from __future__ import annotations

import enum
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import ERASED, EncryptedField, EncryptedModel


class NoteKind(enum.StrEnum):
    """A note on the record, or a psychotherapy (process) note kept apart."""

    PROGRESS = "progress"
    PSYCHOTHERAPY = "psychotherapy"


class NoteStatus(enum.StrEnum):
    """Where a note is; only drafts change."""

    DRAFT = "draft"
    AWAITING_COSIGNATURE = "awaiting_cosignature"
    SIGNED = "signed"


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(
        kind,
        name=name,
        native_enum=False,
        length=24,
        values_callable=lambda e: [m.value for m in e],
    )


class Note(EncryptedModel, IdMixin, Base):
    """One note about one client, drafted, edited and signed by a clinician."""

    __tablename__ = "notes"
    __table_args__ = (
        # Lists page by (created_at, id), newest first, per client.
        Index("ix_notes_client_created", "client_id", "created_at", "id"),
        Index("ix_notes_organization_created", "organization_id", "created_at", "id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), nullable=True, index=True
    )
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    kind: Mapped[NoteKind] = mapped_column(_enum(NoteKind, "note_kind"))
    status: Mapped[NoteStatus] = mapped_column(
        _enum(NoteStatus, "note_status"), default=NoteStatus.DRAFT, index=True
    )
    template_id: Mapped[str] = mapped_column(String(40))
    template_version: Mapped[str] = mapped_column(String(20))
    composer_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sections_ct: Mapped[bytes] = mapped_column("sections", LargeBinary, info=phi())
    sections = EncryptedField("sections_ct", column_name="sections")
    jottings_ct: Mapped[bytes | None] = mapped_column(
        "jottings", LargeBinary, nullable=True, info=phi()
    )
    jottings = EncryptedField("jottings_ct", column_name="jottings")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    signed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    cosign_required: Mapped[bool] = mapped_column(Boolean, default=False)
    cosigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cosigned_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    @property
    def section_list(self) -> list[dict[str, Any]]:
        """The sections as stored (empty once the client was erased)."""
        raw = self.sections
        if not raw or raw == ERASED:
            return []
        parsed: list[dict[str, Any]] = json.loads(raw)
        return parsed

    @property
    def is_locked(self) -> bool:
        """Signed (or awaiting co-signature): nothing in it changes any more."""
        return self.status is not NoteStatus.DRAFT
