"""Request and response shapes for sign-in."""

from __future__ import annotations

from pydantic import Field

from alongside.kit.schema import Schema


class SessionCreate(Schema):
    """Credentials for starting a session."""

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    totp: str | None = Field(default=None, max_length=12)


class SessionRead(Schema):
    """A started session: who signed in and the CSRF token for state-changing calls."""

    user_id: str
    role: str
    display_name: str
    csrf_token: str
