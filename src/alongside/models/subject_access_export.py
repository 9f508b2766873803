"""SubjectAccessExport: staff produced a client's full export (a subject-access request).

The reason is encrypted with the client's key; the audit event of the export names this row,
so the log shows why the export was made.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import EncryptedField, EncryptedModel


class SubjectAccessExport(EncryptedModel, IdMixin, Base):
    """One export of a client's record made by staff, with who, when and why."""

    __tablename__ = "subject_access_exports"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    produced_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    produced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason_ct: Mapped[bytes] = mapped_column("reason", LargeBinary, info=phi())
    reason = EncryptedField("reason_ct", column_name="reason")
