"""Client: a person receiving care. Fields marked ``phi`` are encrypted per client."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, phi


class Client(IdMixin, Base):
    """Someone the clinic cares for."""

    __tablename__ = "clients"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), nullable=True
    )
    given_name: Mapped[str] = mapped_column(String(400), info=phi())
    family_name: Mapped[str] = mapped_column(String(400), info=phi())
    email: Mapped[str | None] = mapped_column(String(600), nullable=True, info=phi())
    phone: Mapped[str | None] = mapped_column(String(200), nullable=True, info=phi())
    date_of_birth: Mapped[str | None] = mapped_column(String(200), nullable=True, info=phi())
    preferred_language: Mapped[str] = mapped_column(String(16), default="en")
    status: Mapped[str] = mapped_column(String(20), default="active")

    @property
    def display_name(self) -> str:
        """Name as staff see it."""
        return f"{self.given_name} {self.family_name}"


def phi_columns() -> list[str]:
    """Names of the Client columns that hold personal health information."""
    return [c.name for c in Client.__table__.columns if c.info.get("phi")]
