"""The outbox: write alerts and reminders in the caller's transaction; list and retry failures.

Anything that must reach a person is *enqueued* here, inside the same transaction as the
change that caused it (DESIGN.md invariant 3): if the intake rolls back, so does its alert;
if it commits, the alert is stored and the worker (``notify/worker.py``) will deliver it,
retrying with backoff and leaving a ``dead`` message for an administrator when it gives up.

Calling contract for other domains (keep stable)::

    from alongside.notify.service import enqueue

    enqueue(
        session,
        kind="crisis_alert",                 # what it is; shown to admins, used in logs
        channel="email",                     # "email", "sms" or "webhook"
        recipient="oncall@clinic.example",   # an address, a phone number (sms_number), or a
                                             # webhook name from settings
        subject="Urgent: intake needs review",
        body="An intake needs review now: https://.../review/<id>",  # no client names
        payload={"intake_id": str(intake.id)},  # JSON-serialisable; sent with webhooks
        idempotency_key=f"crisis_alert:{intake.id}:{oncall.id}",  # unique per delivery
        organization_id=intake.organization_id,
        now=now,
    )

The function only adds and flushes; the caller's ``session_scope`` commits.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.kit.keyset import CursorCodec, Page, check_limit
from alongside.models import OutboxChannel, OutboxMessage, OutboxStatus
from alongside.models.encrypted import keyring_for, page_cursor_key
from alongside.notify.phone import is_sms_number
from alongside.sqltools import Keyset

NOT_FOUND = "There is no such message in your organisation's outbox."
MAX_KEY_LENGTH = 200
MAX_SUBJECT_LENGTH = 200
MAX_RECIPIENT_LENGTH = 320
# Statuses an administrator is shown: still failing (will retry) or given up.
ATTENTION_STATUSES: tuple[OutboxStatus, ...] = (OutboxStatus.DEAD, OutboxStatus.FAILED)
RETRYABLE_STATUSES: frozenset[OutboxStatus] = frozenset(ATTENTION_STATUSES)
OUTBOX_ORDER = Keyset((OutboxMessage.created_at, OutboxMessage.id), descending=True)


def enqueue(
    session: Session,
    *,
    kind: str,
    channel: str | OutboxChannel,
    recipient: str,
    subject: str,
    body: str,
    payload: Mapping[str, Any],
    idempotency_key: str,
    organization_id: uuid.UUID | None = None,
    client_id: uuid.UUID | None = None,
    now: datetime,
) -> OutboxMessage:
    """Store a message for delivery in the caller's transaction (flush, never commit).

    ``client_id``: the client a message is addressed to or about; its recipient, subject,
    body and payload are then encrypted with that client's key (always pass it for messages
    to clients).

    Enqueueing the same ``idempotency_key`` again returns the message already stored, so a
    retried request cannot alert anyone twice. Raises :class:`InvalidInput` for an unknown
    channel, an empty field, an over-long field or a payload that is not JSON.
    """
    parsed_channel = _channel(channel)
    _require("kind", kind, 40)
    _require("recipient", recipient, MAX_RECIPIENT_LENGTH)
    _require("subject", subject, MAX_SUBJECT_LENGTH)
    _require("idempotency_key", idempotency_key, MAX_KEY_LENGTH)
    if parsed_channel is OutboxChannel.EMAIL and "@" not in recipient:
        raise InvalidInput("recipient: an email message needs an email address.")
    if parsed_channel is OutboxChannel.SMS and not is_sms_number(recipient):
        raise InvalidInput(
            "recipient: a text message needs a phone number of 6 to 15 digits, with an "
            "optional leading +."
        )
    if now.tzinfo is None:
        raise InvalidInput("now: pass a timezone-aware time.")
    try:
        # Round-trip so what is stored is exactly what a JSON column gives back.
        stored_payload: dict[str, Any] = json.loads(json.dumps(dict(payload)))
    except (TypeError, ValueError):
        raise InvalidInput(
            "payload: must be JSON-serialisable (strings, numbers, lists, maps)."
        ) from None

    existing = _by_key(session, idempotency_key)
    if existing is not None:
        return existing
    message = OutboxMessage(
        organization_id=organization_id,
        client_id=client_id,
        kind=kind,
        channel=parsed_channel,
        recipient=recipient,
        subject=subject,
        body=body,
        payload=stored_payload,
        idempotency_key=idempotency_key,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    # A concurrent transaction may store the same key between our look-up and our insert;
    # the unique constraint decides, inside a savepoint so the caller's transaction survives.
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        winner = _by_key(session, idempotency_key)
        if winner is None:
            raise
        return winner
    return message


def list_messages(
    session: Session,
    organization_id: uuid.UUID | None,
    *,
    statuses: Sequence[OutboxStatus] = ATTENTION_STATUSES,
    limit: int = 200,
) -> list[OutboxMessage]:
    """Messages of one organisation (None: system messages) in the given statuses, newest first."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(list(statuses)))
        .where(_organization_is(organization_id))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
        .limit(limit)
    )
    return list(session.scalars(query))


CLIENT_RECIPIENT = "a client (address not shown)"
CLIENT_NUMBER = "a client (number not shown)"
_ADDRESS = re.compile(r"[^\s<>\"'@,;:]+@[^\s<>\"',;:]+")
# Anything that may be a phone number in a delivery error: 7 or more digits and separators.
_PHONE = re.compile(r"\+?\d[\d ()./-]{5,}\d")


@dataclass(frozen=True)
class OutboxEntry:
    """A message as an administrator sees it: kind, routing and delivery state, never a
    client's address, name or the content (administrators read no client data)."""

    id: uuid.UUID
    organization_id: uuid.UUID | None
    kind: str
    channel: OutboxChannel
    recipient: str
    for_client: bool
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


def admin_entry(message: OutboxMessage) -> OutboxEntry:
    """What an administrator may see of ``message``: a message to or about a client shows
    no address or number (they are not even decrypted), and addresses and anything like a
    phone number in its delivery error are hidden."""
    for_client = message.client_id is not None
    error = message.last_error
    if for_client and error:
        error = _PHONE.sub("[number hidden]", _ADDRESS.sub("[address hidden]", error))
    hidden = CLIENT_NUMBER if message.channel is OutboxChannel.SMS else CLIENT_RECIPIENT
    return OutboxEntry(
        id=message.id,
        organization_id=message.organization_id,
        kind=message.kind,
        channel=message.channel,
        recipient=hidden if for_client else message.recipient,
        for_client=for_client,
        status=message.status,
        attempts=message.attempts,
        next_attempt_at=message.next_attempt_at,
        last_error=error,
        delivered_at=message.delivered_at,
        created_at=message.created_at,
    )


def page_messages(
    session: Session,
    organization_id: uuid.UUID | None,
    *,
    statuses: Sequence[OutboxStatus] = ATTENTION_STATUSES,
    limit: int | None = None,
    cursor: str | None = None,
    decrypt: bool = True,
) -> Page[OutboxMessage]:
    """A page of the organisation's messages in the given statuses, newest first; only the
    page's clients' keys are unwrapped (recipients are encrypted with them), and none when
    ``decrypt`` is false (administrators see no client's address: :func:`admin_entry`)."""
    size = check_limit(limit)
    codec = CursorCodec(page_cursor_key(session))
    scope = "outbox/" + ",".join(sorted(str(status.value) for status in statuses))
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(list(statuses)))
        .where(_organization_is(organization_id))
    )
    if cursor:
        query = query.where(OUTBOX_ORDER.after(codec.decode(scope, cursor, (datetime, uuid.UUID))))
    messages = list(session.scalars(query.order_by(*OUTBOX_ORDER.order_by()).limit(size + 1)))
    more = len(messages) > size
    messages = messages[:size]
    if decrypt:
        keyring_for(session).preload(
            session, [m.client_id for m in messages if m.client_id is not None]
        )
    following = None
    if more:
        following = codec.encode(scope, (messages[-1].created_at, messages[-1].id))
    return Page(items=messages, next=following)


def admin_page(
    session: Session,
    organization_id: uuid.UUID | None,
    *,
    statuses: Sequence[OutboxStatus] = ATTENTION_STATUSES,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[OutboxEntry]:
    """:func:`page_messages` as administrators see them (:func:`admin_entry`)."""
    page = page_messages(
        session, organization_id, statuses=statuses, limit=limit, cursor=cursor, decrypt=False
    )
    return Page(items=[admin_entry(message) for message in page.items], next=page.next)


def admin_entries(
    session: Session,
    organization_id: uuid.UUID | None,
    *,
    statuses: Sequence[OutboxStatus] = ATTENTION_STATUSES,
    limit: int = 200,
) -> list[OutboxEntry]:
    """:func:`list_messages` as administrators see them (:func:`admin_entry`)."""
    messages = list_messages(session, organization_id, statuses=statuses, limit=limit)
    return [admin_entry(message) for message in messages]


def dead_letters(session: Session, organization_id: uuid.UUID | None) -> list[OutboxMessage]:
    """Messages the worker gave up on, for an administrator to look at and retry."""
    return list_messages(session, organization_id, statuses=(OutboxStatus.DEAD,))


def get_message(
    session: Session, message_id: uuid.UUID, organization_id: uuid.UUID | None
) -> OutboxMessage:
    """One message of the organisation; :class:`NotFound` for any other (never confirmed)."""
    message = session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .where(_organization_is(organization_id))
    )
    if message is None:
        raise NotFound(NOT_FOUND)
    return message


def retry(
    session: Session,
    message_id: uuid.UUID,
    *,
    organization_id: uuid.UUID | None,
    now: datetime,
) -> OutboxMessage:
    """Send a dead or failing message again now, with a fresh allowance of attempts."""
    message = get_message(session, message_id, organization_id)
    if message.status not in RETRYABLE_STATUSES:
        raise Conflict(
            f"This message is {message.status.value}; only failed or dead messages can be retried."
        )
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = now
    session.flush()
    return message


def _by_key(session: Session, idempotency_key: str) -> OutboxMessage | None:
    return session.scalar(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    )


def _organization_is(organization_id: uuid.UUID | None) -> Any:
    if organization_id is None:
        return OutboxMessage.organization_id.is_(None)
    return OutboxMessage.organization_id == organization_id


def _channel(channel: str | OutboxChannel) -> OutboxChannel:
    try:
        return OutboxChannel(channel)
    except ValueError:
        known = ", ".join(c.value for c in OutboxChannel)
        raise InvalidInput(f"channel: {channel!r} is not one of {known}.") from None


def _require(name: str, value: str, max_length: int) -> None:
    if not value or not value.strip():
        raise InvalidInput(f"{name}: must not be empty.")
    if len(value) > max_length:
        raise InvalidInput(f"{name}: at most {max_length} characters.")
