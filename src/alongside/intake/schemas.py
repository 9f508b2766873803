"""API shapes for creating an intake link."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class NewClientIn(BaseModel):
    """A client new to the clinic."""

    model_config = ConfigDict(extra="forbid")

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(
        default=None, max_length=40, description="A mobile number, for a link by text message."
    )
    preferred_language: str = Field(default="en", min_length=1, max_length=16)


class IntakeCreate(BaseModel):
    """Create an intake for an existing client (``client_id``) or a new one (``new_client``)."""

    model_config = ConfigDict(extra="forbid")

    client_id: uuid.UUID | None = None
    new_client: NewClientIn | None = None
    instruments: list[str] | None = Field(
        default=None, description="Instrument ids; default phq9, gad7, cssrs-screen."
    )
    reviewer_id: uuid.UUID | None = Field(
        default=None, description="The reviewing clinician; default: you, if you are one."
    )
    reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Why this reviewer: needed when they are not on the client's care team "
        "(they then see this intake's case only, until shortly after their decision).",
    )
    expires_in_days: int = Field(default=14, ge=1, le=90)
    send_email: bool = Field(
        default=False,
        description="Also queue the link to the client's email address through the outbox "
        "(the address on record, or the new client's); 422 when there is none.",
    )
    send_text: bool = Field(
        default=False,
        description="Instead, queue the link by text message to the client's mobile number "
        "(on record, or the new client's); 422 when there is none or when text messages are "
        "not set up (ALONGSIDE_SMS_*).",
    )


class IntakeCreated(BaseModel):
    """A new intake link. ``url`` holds the single-use token and is shown only this once."""

    id: uuid.UUID
    client_id: uuid.UUID
    reviewer_id: uuid.UUID | None
    instruments: list[str]
    expires_at: datetime
    url: str
    emailed: bool = Field(default=False, description="Whether the link was queued by email.")
    texted: bool = Field(default=False, description="Whether the link was queued by text message.")
