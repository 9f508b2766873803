"""NoteAddendum: a correction or addition to a signed note, signed and dated when written.

A signed note never changes; what its author or a colleague on the care team adds later is an
addendum: ``text`` (encrypted), ``author_id``, ``signed_at`` (the moment it was written and
signed; addenda are never drafts and never change).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import EncryptedField, EncryptedModel


class NoteAddendum(EncryptedModel, IdMixin, Base):
    """A signed, dated addendum to a signed note."""

    __tablename__ = "note_addenda"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    note_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    text_ct: Mapped[bytes] = mapped_column("text", LargeBinary, info=phi())
    text = EncryptedField("text_ct", column_name="text")
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
