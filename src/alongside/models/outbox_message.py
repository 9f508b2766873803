"""OutboxMessage: something that must reach a person, stored with the change that caused it."""

from __future__ import annotations

import enum
import json
import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Enum, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.kit.time import utcnow
from alongside.models.base import Base, IdMixin, UTCDateTime, phi
from alongside.models.encrypted import ERASED, EncryptedField, EncryptedModel


class OutboxStatus(enum.StrEnum):
    """Where a message is on its way out; ``failed`` is retried, ``dead`` waits for an admin."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"


class OutboxChannel(enum.StrEnum):
    """How a message travels."""

    EMAIL = "email"
    WEBHOOK = "webhook"
    # A text message to a client's phone, through the SMS gateway the clinic configured.
    SMS = "sms"


class OutboxMessage(EncryptedModel, IdMixin, Base):
    """An alert or reminder written in the transaction that caused it and delivered by a worker.

    ``next_attempt_at`` is when the worker may next pick the message up; while the message is
    ``sending`` it is the end of the worker's lease, after which a crashed worker's claim is
    taken over. ``attempts`` counts claims and doubles as the fencing token of a lease.
    """

    __tablename__ = "outbox_messages"
    __encryption_optional__: ClassVar[bool] = True
    __table_args__ = (
        # The worker's only query: due messages of the live statuses, oldest first.
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        # The administrator's list: an organisation's messages of one status, newest first.
        Index(
            "ix_outbox_messages_org_status_created", "organization_id", "status", "created_at", "id"
        ),
    )

    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[OutboxChannel] = mapped_column(
        Enum(
            OutboxChannel,
            name="outbox_channel",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    # The client a message is about or addressed to (reminders, repeat measures): its
    # recipient, subject, body and payload are then encrypted with that client's key, so an
    # email address or phone number never sits in the outbox in plain text, and erasing the
    # client makes their queued messages unreadable too. Alerts to staff name no client.
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # An email address, a phone number (texts), or the name of a webhook configured in
    # settings (never a raw URL, so a stored row cannot send data to an address the clinic
    # did not configure; texts go only to the one gateway in settings).
    recipient_ct: Mapped[bytes] = mapped_column("recipient", LargeBinary, info=phi())
    subject_ct: Mapped[bytes] = mapped_column("subject", LargeBinary, info=phi())
    body_ct: Mapped[bytes] = mapped_column("body", LargeBinary, info=phi())
    payload_ct: Mapped[bytes] = mapped_column("payload", LargeBinary, info=phi())
    recipient = EncryptedField("recipient_ct", column_name="recipient")
    subject = EncryptedField("subject_ct", column_name="subject")
    body = EncryptedField("body_ct", column_name="body")
    payload_json = EncryptedField("payload_ct", column_name="payload")
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(
            OutboxStatus,
            name="outbox_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=OutboxStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def payload(self) -> dict[str, Any]:
        """The structured part of the message (ids, links), decrypted."""
        text = self.payload_json
        if not text or text == ERASED:
            return {}
        value = json.loads(text)
        return value if isinstance(value, dict) else {}

    @payload.setter
    def payload(self, value: dict[str, Any] | None) -> None:
        self.payload_json = json.dumps(value or {}, sort_keys=True)
