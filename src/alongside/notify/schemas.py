"""Outbox shapes for the admin API: what failed and why, never the message body."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from alongside.kit.schema import Schema
from alongside.models import OutboxChannel, OutboxStatus


class OutboxMessageRead(Schema):
    """A message as an administrator sees it: routing and delivery state, no content."""

    id: uuid.UUID
    organization_id: uuid.UUID | None
    kind: str
    channel: OutboxChannel
    recipient: str = Field(
        description="A staff address or webhook name; for messages to clients, only that it "
        "is a client (administrators read no client data)."
    )
    for_client: bool
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
