"""Client: a person receiving care. Personal fields are encrypted with the client's own key."""

from __future__ import annotations

import uuid
from typing import ClassVar

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.crypto.blind_index import EMAIL
from alongside.models.base import Base, IdMixin, phi
from alongside.models.encrypted import EncryptedField, EncryptedModel


class Client(EncryptedModel, IdMixin, Base):
    """Someone the clinic cares for."""

    __tablename__ = "clients"
    __encryption_owner__: ClassVar[str] = "self"
    __blind_indexes__: ClassVar[dict[str, tuple[str, str]]] = {"email": ("email_index", EMAIL)}

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), nullable=True
    )
    given_name_ct: Mapped[bytes] = mapped_column("given_name", LargeBinary, info=phi())
    family_name_ct: Mapped[bytes] = mapped_column("family_name", LargeBinary, info=phi())
    email_ct: Mapped[bytes | None] = mapped_column("email", LargeBinary, nullable=True, info=phi())
    phone_ct: Mapped[bytes | None] = mapped_column("phone", LargeBinary, nullable=True, info=phi())
    date_of_birth_ct: Mapped[bytes | None] = mapped_column(
        "date_of_birth", LargeBinary, nullable=True, info=phi()
    )
    email_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    preferred_language: Mapped[str] = mapped_column(String(16), default="en")
    status: Mapped[str] = mapped_column(String(20), default="active")

    given_name = EncryptedField("given_name_ct")
    family_name = EncryptedField("family_name_ct")
    email = EncryptedField("email_ct")
    phone = EncryptedField("phone_ct")
    date_of_birth = EncryptedField("date_of_birth_ct")

    @property
    def display_name(self) -> str:
        """Name as staff see it."""
        return f"{self.given_name} {self.family_name}"

    @property
    def initials(self) -> str:
        """Initials only, for places that must not show a name (calendar feeds)."""
        return f"{str(self.given_name)[:1]}{str(self.family_name)[:1]}".upper()


def phi_columns() -> list[str]:
    """Names of the Client columns that hold personal health information."""
    return [c.name for c in Client.__table__.columns if c.info.get("phi")]
