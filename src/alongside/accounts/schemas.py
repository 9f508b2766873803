"""Request and response shapes for sign-in, staff invitations and second-factor resets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from alongside.kit.schema import Schema
from alongside.models import InvitationState, ResetStatus


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


class InvitationCreate(Schema):
    """A colleague to invite: their work address, their name as colleagues see it, a role."""

    email: str = Field(min_length=3, max_length=254)
    display_name: str = Field(min_length=1, max_length=200)
    role: str = Field(
        max_length=20,
        description="One of the staff roles: clinician, coordinator, clinical_lead, admin.",
    )


class InvitationRead(Schema):
    """An invitation as the administrator's list shows it (never its link)."""

    id: uuid.UUID
    email: str
    display_name: str
    role: str
    state: InvitationState
    invited_by: str = Field(description="The name of whoever sent it last.")
    sent_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    withdrawn_at: datetime | None


class SecondFactorResetCreate(Schema):
    """Why a colleague's second factor should be reset (for the clinical lead who decides)."""

    reason: str = Field(max_length=500)


class SecondFactorResetDecision(Schema):
    """A clinical lead's decision on a waiting reset."""

    decision: Literal["approved", "declined"]


class SecondFactorResetRead(Schema):
    """A request to reset someone's second factor, with the names of the people in it."""

    id: uuid.UUID
    user_id: uuid.UUID
    person: str
    requested_by: str
    reason: str
    status: ResetStatus
    requested_at: datetime
    decided_by: str
    decided_at: datetime | None
