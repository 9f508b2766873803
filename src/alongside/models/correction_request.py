"""CorrectionRequest: a client asks for a detail of their record, or a note, to be corrected.

GDPR Art. 16 (rectification) and the HIPAA right to amend (45 CFR 164.526): the clinician
accepts or declines with a reason, and the record keeps both the value as it was, the value
asked for and the decision. Every value is encrypted with the client's key. A note is never
rewritten: an accepted correction of a note (``field == "note"``, ``note_id`` set) becomes a
signed addendum to it, and a declined one stays linked to the note with its reason.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import EncryptedField, EncryptedModel


class CorrectionStatus(enum.StrEnum):
    """Where a correction request is."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class CorrectionRequest(EncryptedModel, IdMixin, Base):
    """One requested correction of a client's detail, and the clinician's decision."""

    __tablename__ = "correction_requests"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(40))
    note_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notes.id", ondelete="SET NULL"), nullable=True, index=True
    )
    status: Mapped[CorrectionStatus] = mapped_column(
        Enum(
            CorrectionStatus,
            name="correction_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=CorrectionStatus.PENDING,
        index=True,
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    previous_value_ct: Mapped[bytes | None] = mapped_column(
        "previous_value", LargeBinary, nullable=True, info=phi()
    )
    requested_value_ct: Mapped[bytes] = mapped_column("requested_value", LargeBinary, info=phi())
    client_reason_ct: Mapped[bytes | None] = mapped_column(
        "client_reason", LargeBinary, nullable=True, info=phi()
    )
    decision_reason_ct: Mapped[bytes | None] = mapped_column(
        "decision_reason", LargeBinary, nullable=True, info=phi()
    )
    previous_value = EncryptedField("previous_value_ct", column_name="previous_value")
    requested_value = EncryptedField("requested_value_ct", column_name="requested_value")
    client_reason = EncryptedField("client_reason_ct", column_name="client_reason")
    decision_reason = EncryptedField("decision_reason_ct", column_name="decision_reason")
