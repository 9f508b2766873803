"""Request and response shapes for break-glass, API tokens and the second factor."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from alongside.kit.schema import Schema


class BreakGlassCreate(Schema):
    """Why emergency access to a client outside the care team is needed."""

    reason: str = Field(min_length=1, max_length=2000)


class BreakGlassRead(Schema):
    """An emergency access grant."""

    id: uuid.UUID
    client_id: uuid.UUID
    clinician_id: uuid.UUID
    granted_at: datetime
    expires_at: datetime
    acknowledged_at: datetime | None


class BreakGlassReview(BreakGlassRead):
    """A grant as the clinical lead reviews it, with its reason."""

    reason: str


class ReviewAssignmentRead(Schema):
    """An intake review assigned outside the care team, as the clinical lead reviews it."""

    id: uuid.UUID
    client_id: uuid.UUID
    intake_id: uuid.UUID
    reviewer_id: uuid.UUID
    assigned_by_id: uuid.UUID | None
    reason: str | None
    assigned_at: datetime
    ends_at: datetime | None


class HeldBackRead(Schema):
    """An account whose sign-ins are held back after failures (never the addresses)."""

    user_id: uuid.UUID
    display_name: str
    role: str
    failures_today: int
    addresses_held_back: int
    last_failure_at: datetime
    held_back_until: datetime


class TokenCreate(Schema):
    """A new API token: a name to recognise it by and the actions it may take."""

    name: str = Field(min_length=1, max_length=120)
    scopes: list[str] = Field(min_length=1, max_length=40)
    expires_in_days: int | None = Field(
        default=None, ge=1, le=3650, description="Default: the clinic's setting (90 days)."
    )


class TokenRead(Schema):
    """An API token without its secret."""

    id: uuid.UUID
    name: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    expires_at: datetime


class TokenCreated(TokenRead):
    """A new token: the only time its secret is shown."""

    token: str


class TotpEnrolment(Schema):
    """A new second-factor secret to add to an authenticator app."""

    secret: str
    otpauth_uri: str


class Reauthentication(Schema):
    """Your password and a current code from your app (or a recovery code), when a second
    factor is on: changing the second factor needs the person, not just their session."""

    password: str = Field(min_length=1, max_length=1024)
    code: str | None = Field(default=None, max_length=32)


class RecoveryCodes(Schema):
    """Single-use codes that stand in for the app if it is lost; shown this once."""

    recovery_codes: list[str]


class TotpConfirm(Schema):
    """A code from the authenticator app proving the enrolment worked."""

    code: str = Field(min_length=6, max_length=12)
