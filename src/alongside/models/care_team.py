"""CareTeam: which clinicians care for which client; the basis of a clinician's access."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin


class CareTeam(IdMixin, Base):
    """One clinician on one client's care team."""

    __tablename__ = "care_teams"
    __table_args__ = (UniqueConstraint("client_id", "clinician_id", name="client_clinician"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    clinician_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    team_role: Mapped[str] = mapped_column(String(20), default="primary")
