"""User: anyone who signs in, staff or client."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin


class Role(enum.StrEnum):
    """What a person does in the clinic; permissions hang on it."""

    CLIENT = "client"
    CLINICIAN = "clinician"
    COORDINATOR = "coordinator"
    CLINICAL_LEAD = "clinical_lead"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.CLINICIAN, Role.COORDINATOR, Role.CLINICAL_LEAD, Role.ADMIN})


class User(IdMixin, Base):
    """A person who can sign in."""

    __tablename__ = "users"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="user_role",
            native_enum=False,
            length=20,
            values_callable=lambda roles: [r.value for r in roles],
        )
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), nullable=True
    )
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    # The TOTP secret, encrypted with a key derived from the key-encryption key.
    totp_secret_ct: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A new secret being set up (adding or replacing the factor): the current one keeps
    # working until the person proves the new app shows the right code.
    totp_pending_ct: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The last accepted time step: a code is accepted once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)

    @property
    def is_staff(self) -> bool:
        """Whether this user works for the organisation."""
        return self.role in STAFF_ROLES
