"""Webhook signatures: what a receiver checks."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from alongside.notify.delivery import Delivery
from alongside.notify.webhook import sign, verify_webhook_signature, webhook_body

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "a-webhook-secret-of-32-characters"
STAMP = str(int(NOW.timestamp()))


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"kind":"crisis_alert"}'
    expected = hmac.new(SECRET.encode(), STAMP.encode() + b"." + body, hashlib.sha256)
    assert sign(SECRET, STAMP, body) == "sha256=" + expected.hexdigest()
    assert verify_webhook_signature(SECRET, STAMP, body, sign(SECRET, STAMP, body), now=NOW)


def test_stale_future_malformed_and_foreign_signatures_are_refused() -> None:
    body = b"{}"
    good = sign(SECRET, STAMP, body)
    assert not verify_webhook_signature(SECRET, STAMP, body, good, now=NOW + timedelta(minutes=6))
    assert not verify_webhook_signature(SECRET, STAMP, body, good, now=NOW - timedelta(minutes=6))
    assert verify_webhook_signature(SECRET, STAMP, body, good, now=NOW + timedelta(minutes=5))
    assert not verify_webhook_signature(SECRET, "yesterday", body, good, now=NOW)
    assert not verify_webhook_signature("another-secret-entirely", STAMP, body, good, now=NOW)
    assert not verify_webhook_signature(SECRET, STAMP, body, good.removeprefix("sha256="), now=NOW)
    assert not verify_webhook_signature(SECRET, STAMP, body, "", now=NOW)


@given(body=st.binary(max_size=512), flip=st.integers(min_value=0))
def test_changing_any_byte_of_the_body_breaks_the_signature(body: bytes, flip: int) -> None:
    signature = sign(SECRET, STAMP, body)
    assert verify_webhook_signature(SECRET, STAMP, body, signature, now=NOW)
    if body:
        index = flip % len(body)
        changed = body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]
        assert not verify_webhook_signature(SECRET, STAMP, changed, signature, now=NOW)
    assert not verify_webhook_signature(SECRET, STAMP, body + b" ", signature, now=NOW)


def test_the_body_is_the_same_bytes_on_every_attempt() -> None:
    base = Delivery(
        id=uuid.UUID(int=1),
        kind="crisis_alert",
        channel="webhook",
        recipient="oncall",
        subject="Urgent",
        body="Open the case",
        idempotency_key="k",
        attempt=1,
        payload={"b": 1, "a": [1, 2]},
    )
    again = Delivery(**{**base.__dict__, "attempt": 5})
    assert webhook_body(base) == webhook_body(again)
    assert webhook_body(base).startswith(b'{"id":"00000000-0000-0000-0000-000000000001"')
