"""ReviewAssignment: a clinician asked to review one intake, and the access that gives them.

Fields
------
- ``organization_id``, ``client_id``, ``intake_id`` (one assignment per intake).
- ``reviewer_id``: the clinician who reviews the intake; ``assigned_by_id``: who asked them.
- ``reason`` (encrypted with the client's key; it may speak of the client's situation): why
  this clinician; None for assignments recorded before reasons were asked.
- ``outside_care_team``: the reviewer was not on the client's care team when assigned, so the
  clinical lead sees the assignment on the access review.
- ``assigned_at``; ``ends_at``: when the reviewer's access to the case ends (None until the
  decision, then the decision time plus the organisation's grace period).

The assignment opens the intake's case (review and decision) and nothing else of the
client's record: lasting access comes from the care team or emergency access.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import EncryptedField, EncryptedModel


class ReviewAssignment(EncryptedModel, IdMixin, Base):
    """Who reviews one intake, who asked them and why, and until when."""

    __tablename__ = "review_assignments"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    intake_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("intakes.id", ondelete="CASCADE"), unique=True
    )
    reviewer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    assigned_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    reason_ct: Mapped[bytes | None] = mapped_column(
        "reason", LargeBinary, nullable=True, info=phi()
    )
    reason = EncryptedField("reason_ct", column_name="reason")
    outside_care_team: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
