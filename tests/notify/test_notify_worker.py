"""The outbox worker against a real SMTP server and a real HTTP receiver, on committed data."""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from notify_support import (
    WAIT_S,
    clear_outbox,
    committed_database,
    count_outbox,
    free_port,
    load,
    smtp_server,
    webhook_receiver,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alongside.db import session_scope
from alongside.models import Organization, OutboxMessage, OutboxStatus
from alongside.notify.delivery import Delivery, Sender
from alongside.notify.email import IDEMPOTENCY_HEADER, SmtpEmailSender
from alongside.notify.service import enqueue
from alongside.notify.webhook import WebhookEndpoint, WebhookSender
from alongside.notify.worker import (
    INTERRUPTED,
    RetryPolicy,
    claim_due,
    deliver_due,
    record_outcome,
)
from tests.fixtures.db import is_postgres

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "a-webhook-secret-of-32-characters"
NO_JITTER = RetryPolicy(max_attempts=3, base_s=30, factor=2, cap_s=3600, jitter=0)


@pytest.fixture(scope="module")
def outbox_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """One committed database for this module."""
    with committed_database(tmp_path_factory.mktemp("outbox"), "outbox") as factory:
        yield factory


@pytest.fixture
def factory(outbox_db: sessionmaker[Session]) -> sessionmaker[Session]:
    """The module's database with an empty outbox."""
    clear_outbox(outbox_db)
    return outbox_db


@pytest.fixture(scope="module")
def org_id(outbox_db: sessionmaker[Session]) -> uuid.UUID:
    """An organisation the messages belong to."""
    with session_scope(outbox_db) as session:
        org = Organization(
            name="Outbox clinic", slug=f"outbox-{uuid.uuid4().hex[:8]}", country="US"
        )
        session.add(org)
        session.flush()
        return org.id


def _enqueue(
    factory: sessionmaker[Session],
    org_id: uuid.UUID,
    *,
    key: str,
    channel: str = "email",
    recipient: str = "oncall@clinic.test",
    now: datetime = NOW,
    kind: str = "crisis_alert",
) -> None:
    with session_scope(factory) as session:
        enqueue(
            session,
            kind=kind,
            channel=channel,
            recipient=recipient,
            subject="Urgent: an intake needs review",
            body="Open the case: https://clinic.test/review/123",
            payload={"intake_id": "123"},
            idempotency_key=key,
            organization_id=org_id,
            now=now,
        )


def _smtp(port: int) -> SmtpEmailSender:
    return SmtpEmailSender(host="127.0.0.1", port=port, sender="alongside@clinic.test")


def test_email_reaches_a_real_smtp_server_with_its_idempotency_key(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _enqueue(factory, org_id, key="crisis:intake-1:oncall")
    with smtp_server() as sink:
        tried = deliver_due(factory, now=NOW, senders={"email": _smtp(sink.port)})
        assert sink.arrived.wait(WAIT_S)
    assert tried == 1
    [email] = sink.messages
    assert email["To"] == "oncall@clinic.test"
    assert email["From"] == "alongside@clinic.test"
    assert email["Subject"] == "Urgent: an intake needs review"
    assert email["Idempotency-Key"] == "crisis:intake-1:oncall"
    assert email["Auto-Submitted"] == "auto-generated"
    assert "https://clinic.test/review/123" in email.get_content()
    assert sink.envelopes == [("alongside@clinic.test", ["oncall@clinic.test"])]
    message = load(factory, "crisis:intake-1:oncall")
    assert message.status is OutboxStatus.DELIVERED
    assert message.delivered_at == NOW
    assert message.attempts == 1
    assert message.last_error is None


def test_webhook_reaches_a_real_receiver_signed_and_with_its_idempotency_key(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _enqueue(factory, org_id, key="crisis:intake-2:hook", channel="webhook", recipient="oncall")
    with webhook_receiver(SECRET, NOW) as receiver:
        sender = WebhookSender({"oncall": WebhookEndpoint(receiver.url, SECRET)})
        try:
            deliver_due(factory, now=NOW, senders={"webhook": sender})
        finally:
            sender.close()
    [request] = receiver.received
    assert request.signature_valid
    assert request.path == "/hooks/alongside"
    assert request.headers["idempotency-key"] == "crisis:intake-2:hook"
    assert request.headers["x-alongside-timestamp"] == str(int(NOW.timestamp()))
    assert request.headers["x-alongside-signature"].startswith("sha256=")
    assert request.headers["content-type"] == "application/json"
    assert b'"payload":{"intake_id":"123"}' in request.body
    assert load(factory, "crisis:intake-2:hook").status is OutboxStatus.DELIVERED


def test_a_receiver_with_another_secret_refuses_and_the_message_is_dead(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _enqueue(factory, org_id, key="wrong-secret", channel="webhook", recipient="oncall")
    with webhook_receiver("the-receivers-own-secret-value", NOW) as receiver:
        sender = WebhookSender({"oncall": WebhookEndpoint(receiver.url, SECRET)})
        try:
            deliver_due(factory, now=NOW, senders={"webhook": sender})
        finally:
            sender.close()
    assert [r.signature_valid for r in receiver.received] == [False]
    message = load(factory, "wrong-secret")
    # 401 will not change by itself: dead at once, for an admin to fix the secret and retry.
    assert message.status is OutboxStatus.DEAD
    assert message.last_error == "PermanentDeliveryError: The receiver answered HTTP 401"


def test_a_failing_receiver_is_retried_with_exponential_backoff_then_delivered(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _enqueue(factory, org_id, key="retry-me", channel="webhook", recipient="oncall")
    policy = RetryPolicy(max_attempts=5, base_s=30, factor=2, cap_s=3600, jitter=0)
    with webhook_receiver(SECRET, NOW) as receiver:
        receiver.statuses = [500, 503]
        sender = WebhookSender({"oncall": WebhookEndpoint(receiver.url, SECRET)})
        senders: dict[str, Sender] = {"webhook": sender}
        try:
            assert deliver_due(factory, now=NOW, senders=senders, policy=policy) == 1
            first = load(factory, "retry-me")
            assert first.status is OutboxStatus.FAILED
            assert first.next_attempt_at == NOW + timedelta(seconds=30)
            assert first.last_error == "DeliveryError: The receiver answered HTTP 500"
            # Not due yet: nothing is sent early.
            almost = NOW + timedelta(seconds=29)
            assert deliver_due(factory, now=almost, senders=senders, policy=policy) == 0
            at = first.next_attempt_at
            assert deliver_due(factory, now=at, senders=senders, policy=policy) == 1
            second = load(factory, "retry-me")
            assert second.status is OutboxStatus.FAILED
            assert second.next_attempt_at == at + timedelta(seconds=60)
            at = second.next_attempt_at
            assert deliver_due(factory, now=at, senders=senders, policy=policy) == 1
        finally:
            sender.close()
    final = load(factory, "retry-me")
    assert final.status is OutboxStatus.DELIVERED
    assert final.attempts == 3
    assert final.delivered_at == at
    # Every attempt carried the same key, so the receiver can tell they are one message.
    assert receiver.keys() == ["retry-me"] * 3
    assert all(r.signature_valid for r in receiver.received)


def test_a_closed_smtp_port_fails_until_dead_after_the_last_attempt(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _enqueue(factory, org_id, key="nobody-listens")
    senders: dict[str, Sender] = {"email": _smtp(free_port())}
    at = NOW
    statuses = []
    for _ in range(NO_JITTER.max_attempts):
        assert deliver_due(factory, now=at, senders=senders, policy=NO_JITTER) == 1
        message = load(factory, "nobody-listens")
        statuses.append(message.status)
        at = message.next_attempt_at
    assert statuses == [OutboxStatus.FAILED, OutboxStatus.FAILED, OutboxStatus.DEAD]
    dead = load(factory, "nobody-listens")
    assert dead.attempts == 3
    assert dead.last_error is not None
    assert dead.last_error.startswith("DeliveryError: ConnectionRefusedError")
    # A dead message is never picked up again by itself.
    later = NOW + timedelta(days=30)
    assert deliver_due(factory, now=later, senders=senders, policy=NO_JITTER) == 0


def test_backoff_is_exponential_capped_and_jitter_only_shortens_it() -> None:
    policy = RetryPolicy(base_s=10, factor=3, cap_s=200, jitter=0.25)
    rng = random.Random(7)
    for attempt in range(1, 12):
        raw = min(200.0, 10 * 3 ** (attempt - 1))
        delay = policy.delay(attempt, rng).total_seconds()
        assert 0.75 * raw <= delay <= raw
    assert RetryPolicy(jitter=0).delay(10_000, rng) == timedelta(hours=1)
    # Seeded jitter repeats exactly.
    first = [RetryPolicy().delay(n, random.Random(3)) for n in range(1, 6)]
    again = [RetryPolicy().delay(n, random.Random(3)) for n in range(1, 6)]
    assert first == again


def test_a_crashed_workers_claim_is_taken_over_after_its_lease(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _enqueue(factory, org_id, key="crashed", kind="appointment_reminder")
    policy = RetryPolicy(sending_timeout_s=300, jitter=0)
    # A worker claims and "crashes": it never records an outcome.
    [lost] = claim_due(factory, now=NOW, batch=20, policy=policy)
    assert load(factory, "crashed").status is OutboxStatus.SENDING
    with smtp_server() as sink:
        senders: dict[str, Sender] = {"email": _smtp(sink.port)}
        during_lease = NOW + timedelta(seconds=299)
        assert deliver_due(factory, now=during_lease, senders=senders, policy=policy) == 0
        after_lease = NOW + timedelta(seconds=300)
        assert deliver_due(factory, now=after_lease, senders=senders, policy=policy) == 1
    assert len(sink.messages) == 1
    taken_over = load(factory, "crashed")
    assert taken_over.status is OutboxStatus.DELIVERED
    assert taken_over.attempts == 2
    # The first worker wakes up late and reports a failure: the newer claim's outcome stands.
    applied = record_outcome(
        factory, lost, error="DeliveryError: too late", permanent=False, now=after_lease
    )
    assert applied is False
    assert load(factory, "crashed").status is OutboxStatus.DELIVERED


def test_an_interrupted_crisis_alert_is_sent_again_within_a_minute_with_the_same_message_id(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _enqueue(factory, org_id, key="crisis_alert:intake-1:oncall-1")
    _enqueue(factory, org_id, key="ordinary", kind="appointment_reminder")
    policy = RetryPolicy(sending_timeout_s=300, crisis_sending_timeout_s=45, jitter=0)
    with smtp_server() as sink:
        senders: dict[str, Sender] = {"email": _smtp(sink.port)}
        # The first send goes out, then the worker is killed before it records the outcome.
        claimed = claim_due(factory, now=NOW, batch=20, policy=policy)
        # Crisis alerts are claimed first.
        assert [d.idempotency_key for d in claimed] == [
            "crisis_alert:intake-1:oncall-1",
            "ordinary",
        ]
        senders["email"](claimed[0], now=NOW)
        assert deliver_due(factory, now=NOW + timedelta(seconds=44), senders=senders) == 0
        # Within a minute (its own 45 s lease), not after the ordinary 300 s.
        assert (
            deliver_due(factory, now=NOW + timedelta(seconds=45), senders=senders, policy=policy)
            == 1
        )
    assert load(factory, "crisis_alert:intake-1:oncall-1").status is OutboxStatus.DELIVERED
    assert load(factory, "ordinary").status is OutboxStatus.SENDING  # its lease runs on
    # Sent twice, recognisably the same message: one Message-ID and idempotency key.
    assert len(sink.messages) == 2
    assert sink.messages[0]["Message-ID"] == sink.messages[1]["Message-ID"]
    assert sink.messages[0][IDEMPOTENCY_HEADER] == sink.messages[1][IDEMPOTENCY_HEADER]


def test_a_claim_that_crashed_on_the_last_attempt_becomes_dead_unsent(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _enqueue(factory, org_id, key="crashed-last")
    policy = RetryPolicy(max_attempts=1, sending_timeout_s=60)
    claim_due(factory, now=NOW, batch=20, policy=policy)
    later = NOW + timedelta(minutes=1)
    assert claim_due(factory, now=later, batch=20, policy=policy) == []
    message = load(factory, "crashed-last")
    assert message.status is OutboxStatus.DEAD
    assert message.last_error == INTERRUPTED


def test_a_sender_that_crashes_does_not_stop_the_others(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _enqueue(factory, org_id, key="to-a-broken-sender", recipient="a@clinic.test")
    _enqueue(factory, org_id, key="to-a-missing-channel", channel="webhook", recipient="x")

    def broken(delivery: Delivery, *, now: datetime) -> None:
        raise RuntimeError(f"bug quoting {delivery.body}")

    assert deliver_due(factory, now=NOW, senders={"email": broken}, policy=NO_JITTER) == 2
    crashed = load(factory, "to-a-broken-sender")
    assert crashed.status is OutboxStatus.FAILED
    # Only the type: an unexpected exception's text may quote the message.
    assert crashed.last_error == "Unexpected RuntimeError while sending"
    missing = load(factory, "to-a-missing-channel")
    assert missing.status is OutboxStatus.FAILED
    assert missing.last_error == "DeliveryError: No sender is set up for the webhook channel."


def test_an_unknown_webhook_name_is_retried_not_sent_anywhere(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _enqueue(factory, org_id, key="unknown-hook", channel="webhook", recipient="nobody")
    sender = WebhookSender({})
    try:
        deliver_due(factory, now=NOW, senders={"webhook": sender}, policy=NO_JITTER)
    finally:
        sender.close()
    message = load(factory, "unknown-hook")
    assert message.status is OutboxStatus.FAILED
    assert message.last_error is not None
    assert "No webhook named 'nobody' is configured" in message.last_error


def test_batches_are_claimed_oldest_first(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    for n in range(5):
        _enqueue(factory, org_id, key=f"batch-{n}", now=NOW + timedelta(seconds=n))
    sent: list[str] = []

    def record(delivery: Delivery, *, now: datetime) -> None:
        sent.append(delivery.idempotency_key)

    later = NOW + timedelta(minutes=1)
    assert deliver_due(factory, now=later, senders={"email": record}, batch=2) == 2
    assert deliver_due(factory, now=later, senders={"email": record}, batch=2) == 2
    assert deliver_due(factory, now=later, senders={"email": record}, batch=2) == 1
    assert sent == [f"batch-{n}" for n in range(5)]


def test_the_enqueue_rolls_back_and_commits_with_its_transaction(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    class IntakeFailed(Exception):
        pass

    def failing_intake() -> None:
        with session_scope(factory) as session:
            enqueue(
                session,
                kind="crisis_alert",
                channel="email",
                recipient="oncall@clinic.test",
                subject="Urgent",
                body="Open the case",
                payload={},
                idempotency_key="failed-intake",
                organization_id=org_id,
                now=NOW,
            )
            raise IntakeFailed

    with pytest.raises(IntakeFailed):
        failing_intake()
    # A failed intake leaves no alert behind.
    assert count_outbox(factory) == 0
    with smtp_server() as sink:
        assert deliver_due(factory, now=NOW, senders={"email": _smtp(sink.port)}) == 0
        _enqueue(factory, org_id, key="stored-intake")
        assert count_outbox(factory) == 1
        assert deliver_due(factory, now=NOW, senders={"email": _smtp(sink.port)}) == 1
    assert [m["Idempotency-Key"] for m in sink.messages] == ["stored-intake"]


@pytest.mark.postgres
@pytest.mark.skipif(
    not is_postgres(),
    reason="FOR UPDATE SKIP LOCKED is PostgreSQL's; on SQLite one process runs one worker",
)
def test_two_workers_on_postgresql_deliver_fifty_messages_exactly_once(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    for n in range(50):
        _enqueue(factory, org_id, key=f"pair-{n:02d}", channel="webhook", recipient="oncall")
    start = threading.Barrier(2)
    rounds: Counter[str] = Counter()
    errors: list[BaseException] = []

    with webhook_receiver(SECRET, NOW) as receiver:

        def work(name: str) -> None:
            sender = WebhookSender({"oncall": WebhookEndpoint(receiver.url, SECRET)})
            try:
                start.wait(WAIT_S)
                while True:
                    tried = deliver_due(factory, now=NOW, senders={"webhook": sender}, batch=3)
                    if tried == 0:
                        return
                    rounds[name] += tried
            except BaseException as exc:
                errors.append(exc)
            finally:
                sender.close()

        threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    keys = Counter(receiver.keys())
    assert len(keys) == 50
    assert set(keys.values()) == {1}, "a message was delivered twice"
    assert sum(rounds.values()) == 50
    with session_scope(factory) as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {m.status for m in rows} == {OutboxStatus.DELIVERED}
        assert {m.attempts for m in rows} == {1}
