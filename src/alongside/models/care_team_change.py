"""CareTeamChange: a clinician added to or removed from a client's care team, by whom and why.

Fields: ``client_id`` and ``clinician_id`` (whose team, who joined or left), ``change``
(``added`` or ``removed``), ``reason`` (encrypted with the client's key: it may name their
situation), ``changed_by`` and ``created_at``. The audit log records the same change without
the reason.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, phi
from alongside.models.encrypted import EncryptedField, EncryptedModel


class CareTeamChange(EncryptedModel, IdMixin, Base):
    """One change to a client's care team, with the clinical lead's reason."""

    __tablename__ = "care_team_changes"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    clinician_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    change: Mapped[str] = mapped_column(String(10))
    reason_ct: Mapped[bytes] = mapped_column("reason", LargeBinary, info=phi())
    reason = EncryptedField("reason_ct", column_name="reason")
    changed_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
