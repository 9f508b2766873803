"""Signed webhooks: an HTTP POST of JSON, with an HMAC-SHA256 signature receivers can check.

Each request carries::

    X-Alongside-Timestamp: <unix seconds>
    X-Alongside-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
    Idempotency-Key: <the message's idempotency key, the same on every retry>

A receiver recomputes the signature over the raw body with :func:`verify_webhook_signature`,
refuses stale timestamps (replays) and drops a second request with a key it has seen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from alongside.notify.delivery import (
    IDEMPOTENCY_HEADER,
    Delivery,
    DeliveryError,
    http_failure,
    short_error,
)

TIMESTAMP_HEADER = "X-Alongside-Timestamp"
SIGNATURE_HEADER = "X-Alongside-Signature"
SIGNATURE_PREFIX = "sha256="


@dataclass(frozen=True)
class WebhookEndpoint:
    """A receiver configured by the clinic: where to post and the shared signing secret."""

    url: str
    secret: str


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_webhook_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: datetime,
    tolerance_s: int = 300,
) -> bool:
    """Whether ``signature`` is ours over ``timestamp`` and ``body``, sent within the tolerance."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now.timestamp() - sent) > tolerance_s:
        return False
    expected = sign(secret, str(sent), body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def webhook_body(delivery: Delivery) -> bytes:
    """The JSON posted for a delivery; the same bytes on every retry."""
    document: dict[str, Any] = {
        "id": str(delivery.id),
        "kind": delivery.kind,
        "subject": delivery.subject,
        "text": delivery.body,
        "payload": delivery.payload,
        "idempotency_key": delivery.idempotency_key,
        "organization_id": str(delivery.organization_id) if delivery.organization_id else None,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


class WebhookSender:
    """Posts deliveries to endpoints named in settings; the recipient is the endpoint's name."""

    def __init__(
        self,
        endpoints: Mapping[str, WebhookEndpoint],
        *,
        timeout_s: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        """Send to ``endpoints``; pass ``client`` to share a connection pool."""
        self.endpoints = dict(endpoints)
        # Receivers are clinic-configured addresses: no redirects, no proxy from the
        # environment, so an alert cannot be routed to a host nobody configured.
        self.client = client or httpx.Client(
            timeout=timeout_s, follow_redirects=False, trust_env=False
        )

    def close(self) -> None:
        """Release the connection pool."""
        self.client.close()

    def __call__(self, delivery: Delivery, *, now: datetime) -> None:
        """Post one delivery or raise :class:`DeliveryError`."""
        endpoint = self.endpoints.get(delivery.recipient)
        if endpoint is None:
            # Retried rather than dropped: the clinic may be adding this endpoint right now.
            raise DeliveryError(
                f"No webhook named {delivery.recipient!r} is configured (ALONGSIDE_WEBHOOKS)."
            )
        body = webhook_body(delivery)
        timestamp = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
            IDEMPOTENCY_HEADER: delivery.idempotency_key,
        }
        try:
            response = self.client.post(endpoint.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(short_error(exc)) from exc
        if response.is_success:
            return
        raise http_failure(response.status_code, "The receiver")
