"""Text messages (SMS) to clients, through a gateway the clinic configures; off otherwise.

Two ways a small clinic can send texts without Alongside calling anyone it did not choose:

- **An HTTP gateway** (``ALONGSIDE_SMS_GATEWAY_URL``): each message is one POST of JSON.

  - ``json`` (the default shape), for a gateway the clinic runs or a small relay in front
    of a provider::

        POST <url>
        Authorization: Bearer <ALONGSIDE_SMS_GATEWAY_TOKEN>        (when a token is set)
        Idempotency-Key: <the message's key, the same on every retry>
        {"to": "+15550100123", "text": "...", "id": "<the same key>"}

  - ``android-sms-gateway``: "SMS Gateway for Android" (an Android phone with the clinic's SIM,
    its local server switched on): ``POST http://<phone>:8080/message`` with basic
    authentication (``ALONGSIDE_SMS_GATEWAY_USERNAME`` / ``_PASSWORD``) and
    ``{"textMessage": {"text": "..."}, "phoneNumbers": ["+15550100123"]}``.

  A 2xx answer is delivered; 408, 425, 429 and 5xx are tried again later with the outbox's
  backoff; any other 4xx is final (the message is dead, for an administrator to look at).

- **Email to SMS** (``ALONGSIDE_SMS_EMAIL_DOMAIN``): many SMS providers turn an email to
  ``<number>@<their domain>`` into a text; the message goes through the clinic's own SMTP
  relay (``ALONGSIDE_SMTP_*``) with an empty subject (some providers put it in the text).

Numbers are stored as the client's phone number (encrypted with the client's key); a text goes
to :func:`~alongside.notify.phone.sms_number` of it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import httpx

from alongside.config import Settings, SmsFormat
from alongside.errors import InvalidInput
from alongside.notify.delivery import (
    IDEMPOTENCY_HEADER,
    Delivery,
    DeliveryError,
    Sender,
    http_failure,
    short_error,
)
from alongside.notify.phone import is_sms_number

TEXTS_NOT_SET_UP = (
    "Text messages are not set up at this clinic, so the link can go by email only (an "
    "administrator can set up an SMS gateway)."
)


def require_texts_ready(settings: Settings) -> None:
    """Refuse in words (422), before anything is made, to send a text when the clinic set up
    no way to send one: every form and route that offers texts asks this one question."""
    if not settings.sms_ready:
        raise InvalidInput(TEXTS_NOT_SET_UP)


def gateway_body(delivery: Delivery, shape: SmsFormat) -> bytes:
    """The JSON posted for one text; the same bytes on every retry."""
    document: dict[str, object]
    if shape is SmsFormat.ANDROID_SMS_GATEWAY:
        document = {"textMessage": {"text": delivery.body}, "phoneNumbers": [delivery.recipient]}
    else:
        document = {"to": delivery.recipient, "text": delivery.body, "id": delivery.idempotency_key}
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


class SmsGatewaySender:
    """Posts each text to the clinic's HTTP SMS gateway."""

    def __init__(
        self,
        url: str,
        *,
        shape: SmsFormat = SmsFormat.JSON,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        """Send to ``url``; ``token`` is sent as a bearer token, ``username`` and ``password``
        as basic authentication; pass ``client`` to share a connection pool."""
        self.url = url
        self.shape = shape
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.auth = httpx.BasicAuth(username, password or "") if username else None
        # The gateway is a clinic-configured address: no redirects, no proxy from the
        # environment, so a text cannot be routed to a host nobody configured.
        self.client = client or httpx.Client(
            timeout=timeout_s, follow_redirects=False, trust_env=False
        )

    def close(self) -> None:
        """Release the connection pool."""
        self.client.close()

    def __call__(self, delivery: Delivery, *, now: datetime) -> None:
        """Post one text or raise :class:`DeliveryError`."""
        if not is_sms_number(delivery.recipient):
            raise DeliveryError("The recipient is not a phone number a text can go to.")
        headers = {**self.headers, IDEMPOTENCY_HEADER: delivery.idempotency_key}
        body = gateway_body(delivery, self.shape)
        try:
            if self.auth is None:
                response = self.client.post(self.url, content=body, headers=headers)
            else:
                response = self.client.post(self.url, content=body, headers=headers, auth=self.auth)
        except httpx.HTTPError as exc:
            raise DeliveryError(short_error(exc)) from exc
        if response.is_success:
            return
        # The gateway's answer is not quoted: it may repeat the number.
        raise http_failure(response.status_code, "The SMS gateway")


class EmailToSmsSender:
    """Sends each text as an email to ``<number>@<domain>`` through the clinic's SMTP sender."""

    def __init__(self, email: Sender, domain: str) -> None:
        """Hand texts to ``email`` (the SMTP sender) addressed at ``domain``."""
        self.email = email
        self.domain = domain

    def __call__(self, delivery: Delivery, *, now: datetime) -> None:
        """Email one text to the provider or raise :class:`DeliveryError`."""
        if not is_sms_number(delivery.recipient):
            raise DeliveryError("The recipient is not a phone number a text can go to.")
        address = f"{delivery.recipient.lstrip('+')}@{self.domain}"
        self.email(replace(delivery, recipient=address, subject=""), now=now)
