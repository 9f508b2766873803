"""User: anyone who signs in, staff or client.

Staff sign in with their work email, stored as is (administrators manage staff accounts).
A client's login is part of the client's record: their email and name are encrypted with the
client's data key (``login_email``, ``login_name``), found at sign-in by a blind index
(``email_index``) and unreadable once the client is erased. Such rows keep a placeholder in
``email`` (a unique, undeliverable ``.invalid`` address: RFC 2606) and "Client" as
``display_name``, so nothing outside the client's key names them; :attr:`User.shown_name` is
what pages greet them with.
"""

from __future__ import annotations

import enum
import uuid
from typing import ClassVar

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin, phi
from alongside.models.encrypted import ERASED, EncryptedField, EncryptedModel

# Blind-index purpose of client login emails (kept apart from the clients table's index).
LOGIN_EMAIL = "login_email"
CLIENT_LOGIN_DOMAIN = "clients.invalid"
CLIENT_DISPLAY_NAME = "Client"


class Role(enum.StrEnum):
    """What a person does in the clinic; permissions hang on it."""

    CLIENT = "client"
    CLINICIAN = "clinician"
    COORDINATOR = "coordinator"
    CLINICAL_LEAD = "clinical_lead"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.CLINICIAN, Role.COORDINATOR, Role.CLINICAL_LEAD, Role.ADMIN})


class User(EncryptedModel, IdMixin, Base):
    """A person who can sign in."""

    __tablename__ = "users"
    # Staff rows belong to no client and encrypt nothing; client logins use the client's key.
    __encryption_optional__: ClassVar[bool] = True
    __blind_indexes__: ClassVar[dict[str, tuple[str, str]]] = {
        "login_email": ("email_index", LOGIN_EMAIL)
    }

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
    login_email_ct: Mapped[bytes | None] = mapped_column(
        "login_email", LargeBinary, nullable=True, info=phi()
    )
    login_email = EncryptedField("login_email_ct", column_name="login_email")
    login_name_ct: Mapped[bytes | None] = mapped_column(
        "login_name", LargeBinary, nullable=True, info=phi()
    )
    login_name = EncryptedField("login_name_ct", column_name="login_name")
    email_index: Mapped[str | None] = mapped_column(
        String(64), nullable=True, unique=True, index=True
    )
    # The TOTP secret, encrypted with a key derived from the key-encryption key.
    totp_secret_ct: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A new secret being set up (adding or replacing the factor): the current one keeps
    # working until the person proves the new app shows the right code.
    totp_pending_ct: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The last accepted time step: a code is accepted once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Set when a clinical lead approved a reset of the second factor, or when an invitation
    # for a role that needs one was accepted: the next sign-in sets a new one up before
    # anything else.
    totp_setup_required: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # The person's own time zone for every time shown to them (None: the organisation's).
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)

    @property
    def shown_name(self) -> str:
        """The name to greet this person with (a client's own name, from their record)."""
        if self.client_id is not None and self.login_name_ct is not None:
            name = self.login_name
            if isinstance(name, str) and name != ERASED:
                return name
        return self.display_name

    @property
    def sign_in_email(self) -> str:
        """The address this person signs in with (a client's, decrypted with their key)."""
        if self.client_id is not None and self.login_email_ct is not None:
            address = self.login_email
            if isinstance(address, str):
                return address
        return self.email

    @property
    def is_staff(self) -> bool:
        """Whether this user works for the organisation."""
        return self.role in STAFF_ROLES
