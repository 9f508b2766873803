"""What a sender is given and how it reports failure; no database, no settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Delivery:
    """A claimed message, copied out of the database so sending holds no transaction open."""

    id: uuid.UUID
    kind: str
    channel: str
    recipient: str
    subject: str
    body: str
    idempotency_key: str
    attempt: int
    payload: dict[str, Any] = field(default_factory=dict)
    organization_id: uuid.UUID | None = None


class DeliveryError(Exception):
    """The message did not arrive this time; the worker retries it later."""


class PermanentDeliveryError(DeliveryError):
    """The message can never arrive as it is (e.g. refused by the receiver); no retry."""


class Sender(Protocol):
    """Delivers one message on one channel or raises :class:`DeliveryError`."""

    def __call__(self, delivery: Delivery, *, now: datetime) -> None:
        """Deliver ``delivery``; ``now`` stamps signatures."""


# The header every channel carries the message's idempotency key in (the same on every retry),
# so a receiver can recognise a duplicate.
IDEMPOTENCY_HEADER = "Idempotency-Key"

# Failures worth retrying although the status is 4xx: timeout, too early, rate limited.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})


def http_failure(status_code: int, receiver: str) -> DeliveryError:
    """The error for an HTTP receiver's unsuccessful answer: final for a 4xx that retrying
    cannot change, retried for the rest (5xx, timeouts, rate limits)."""
    error = f"{receiver} answered HTTP {status_code}"
    if 400 <= status_code < 500 and status_code not in RETRYABLE_CLIENT_ERRORS:
        return PermanentDeliveryError(error)
    return DeliveryError(error)


def short_error(exc: BaseException, limit: int = 480) -> str:
    """A one-line description of a failure, short enough for ``last_error``."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
