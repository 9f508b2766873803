"""Text messages through the outbox: numbers read as people write them, a real HTTP SMS gateway
(http.server in a thread) and a real SMTP server for email-to-SMS, retries with backoff until
dead, no sender at all unless the clinic configures one (the demo fakes no text), and an
administrator who sees the kind and state of a text but never the number."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from notify_support import (
    WAIT_S,
    clear_outbox,
    committed_database,
    free_port,
    load,
    sms_gateway,
    smtp_server,
)
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from alongside.config import Mode, Settings, SmsFormat
from alongside.db import session_scope
from alongside.errors import InvalidInput
from alongside.models import Organization, OutboxChannel, OutboxStatus, Role
from alongside.notify import service
from alongside.notify.delivery import Delivery, DeliveryError, Sender
from alongside.notify.email import SmtpEmailSender
from alongside.notify.pages import delivery_routes
from alongside.notify.phone import sms_number
from alongside.notify.sms import EmailToSmsSender, SmsGatewaySender
from alongside.notify.worker import RetryPolicy, build_senders, deliver_due
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NUMBER = "+15550100123"
TEXT = "Riverside: your private link https://clinic.test/intake/abc"
NO_JITTER = RetryPolicy(max_attempts=3, base_s=30, factor=2, cap_s=3600, jitter=0)


@pytest.mark.parametrize(
    ("written", "texted"),
    [
        ("+1 (555) 010-0123", "+15550100123"),
        ("+44 7700 900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("07700 900123", "07700900123"),
        ("555.010.0123", "5550100123"),
        ("+1-555-0142-1234", "+155501421234"),
        ("555-0123", "5550123"),
        ("call my sister", None),
        ("12345", None),
        ("+1234567890123456", None),
        ("555 0123 ext 4", None),
        ("", None),
        (None, None),
        ("[erased]", None),
    ],
)
def test_a_number_as_people_write_it_becomes_one_a_text_can_go_to(
    written: str | None, texted: str | None
) -> None:
    assert sms_number(written) == texted


def test_enqueue_refuses_a_text_to_anything_but_a_number(db: Session, world: World) -> None:
    for recipient in ("client@example.org", "oncall", "+1 555 010 0123"):
        with pytest.raises(InvalidInput, match="a text message needs a phone number"):
            service.enqueue(
                db,
                kind="intake_link",
                channel="sms",
                recipient=recipient,
                subject="Your private link from the clinic",
                body=TEXT,
                payload={},
                idempotency_key=f"refused-{uuid.uuid4()}",
                organization_id=world.org.id,
                now=NOW,
            )
    # Positive control: the number as sms_number writes it is accepted.
    stored = service.enqueue(
        db,
        kind="intake_link",
        channel="sms",
        recipient=NUMBER,
        subject="Your private link from the clinic",
        body=TEXT,
        payload={},
        idempotency_key="accepted",
        organization_id=world.org.id,
        client_id=world.own_client.id,
        now=NOW,
    )
    assert stored.channel is OutboxChannel.SMS


# ------------------------------------------------------------------ delivery, committed data


@pytest.fixture(scope="module")
def outbox_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """One committed database for this module's delivery tests."""
    with committed_database(tmp_path_factory.mktemp("sms"), "sms") as factory:
        yield factory


@pytest.fixture
def factory(outbox_db: sessionmaker[Session]) -> sessionmaker[Session]:
    """The module's database with an empty outbox."""
    clear_outbox(outbox_db)
    return outbox_db


@pytest.fixture(scope="module")
def org_id(outbox_db: sessionmaker[Session]) -> uuid.UUID:
    """An organisation the texts belong to."""
    with session_scope(outbox_db) as session:
        org = Organization(name="SMS clinic", slug=f"sms-{uuid.uuid4().hex[:8]}", country="US")
        session.add(org)
        session.flush()
        return org.id


def _text(factory: sessionmaker[Session], org_id: uuid.UUID, key: str) -> None:
    with session_scope(factory) as session:
        service.enqueue(
            session,
            kind="measures_due",
            channel="sms",
            recipient=NUMBER,
            subject="Your questionnaires from the clinic",
            body=TEXT,
            payload={"intake_id": "123"},
            idempotency_key=key,
            organization_id=org_id,
            now=NOW,
        )


def test_a_text_reaches_a_real_json_gateway_with_its_token_and_key(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _text(factory, org_id, "text-1")
    with sms_gateway() as gateway:
        sender = SmsGatewaySender(gateway.url, token="gateway-token-1")
        try:
            assert deliver_due(factory, now=NOW, senders={"sms": sender}) == 1
        finally:
            sender.close()
    [received] = gateway.received
    assert received.path == "/message"
    assert received.document == {"to": NUMBER, "text": TEXT, "id": "text-1"}
    assert received.headers["authorization"] == "Bearer gateway-token-1"
    assert received.headers["idempotency-key"] == "text-1"
    assert received.headers["content-type"] == "application/json"
    delivered = load(factory, "text-1")
    assert delivered.status is OutboxStatus.DELIVERED
    assert delivered.delivered_at == NOW


def test_sms_gateway_for_android_gets_its_own_shape_and_basic_authentication(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _text(factory, org_id, "text-android")
    with sms_gateway() as gateway:
        sender = SmsGatewaySender(
            gateway.url, shape=SmsFormat.ANDROID_SMS_GATEWAY, username="sms", password="pa55"
        )
        try:
            assert deliver_due(factory, now=NOW, senders={"sms": sender}) == 1
        finally:
            sender.close()
    [received] = gateway.received
    assert received.document == {"textMessage": {"text": TEXT}, "phoneNumbers": [NUMBER]}
    expected = "Basic " + base64.b64encode(b"sms:pa55").decode()
    assert received.headers["authorization"] == expected
    assert load(factory, "text-android").status is OutboxStatus.DELIVERED


def test_a_busy_gateway_is_retried_with_backoff_and_the_same_key(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _text(factory, org_id, "text-retry")
    with sms_gateway() as gateway:
        gateway.statuses = [503, 429]
        sender = SmsGatewaySender(gateway.url)
        senders: dict[str, Sender] = {"sms": sender}
        try:
            at = NOW
            assert deliver_due(factory, now=at, senders=senders, policy=NO_JITTER) == 1
            first = load(factory, "text-retry")
            assert first.status is OutboxStatus.FAILED
            assert first.last_error == "DeliveryError: The SMS gateway answered HTTP 503"
            assert (first.next_attempt_at - at).total_seconds() == 30
            # Not due before its time.
            assert deliver_due(factory, now=at, senders=senders, policy=NO_JITTER) == 0
            at = first.next_attempt_at
            assert deliver_due(factory, now=at, senders=senders, policy=NO_JITTER) == 1
            second = load(factory, "text-retry")
            assert second.status is OutboxStatus.FAILED
            assert (second.next_attempt_at - at).total_seconds() == 60
            at = second.next_attempt_at
            assert deliver_due(factory, now=at, senders=senders, policy=NO_JITTER) == 1
        finally:
            sender.close()
    final = load(factory, "text-retry")
    assert final.status is OutboxStatus.DELIVERED
    assert final.attempts == 3
    assert [r.headers["idempotency-key"] for r in gateway.received] == ["text-retry"] * 3


def test_a_refused_text_is_dead_at_once_and_a_closed_port_after_the_last_attempt(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _text(factory, org_id, "text-refused")
    with sms_gateway() as gateway:
        gateway.statuses = [400]
        sender = SmsGatewaySender(gateway.url)
        try:
            deliver_due(factory, now=NOW, senders={"sms": sender}, policy=NO_JITTER)
        finally:
            sender.close()
    refused = load(factory, "text-refused")
    assert refused.status is OutboxStatus.DEAD
    assert refused.attempts == 1
    assert refused.last_error == "PermanentDeliveryError: The SMS gateway answered HTTP 400"

    _text(factory, org_id, "text-nobody")
    sender = SmsGatewaySender(f"http://127.0.0.1:{free_port()}/message")
    statuses = []
    try:
        at = NOW
        for _ in range(NO_JITTER.max_attempts):
            deliver_due(factory, now=at, senders={"sms": sender}, policy=NO_JITTER)
            message = load(factory, "text-nobody")
            statuses.append(message.status)
            at = message.next_attempt_at
    finally:
        sender.close()
    assert statuses == [OutboxStatus.FAILED, OutboxStatus.FAILED, OutboxStatus.DEAD]
    assert NUMBER not in (load(factory, "text-nobody").last_error or "")


def test_without_a_configured_sender_a_text_waits_failing_and_nothing_is_sent(
    factory: sessionmaker[Session], org_id: uuid.UUID, tmp_path: Path
) -> None:
    plain = build_senders(Settings(data_dir=tmp_path))
    assert "sms" not in plain
    # The demo fakes email and pagers in its mailbox, never a text.
    demo = build_senders(Settings(data_dir=tmp_path, mode=Mode.DEMO))
    assert "sms" not in demo
    assert "email" in demo
    _text(factory, org_id, "text-unsent")
    assert deliver_due(factory, now=NOW, senders=plain, policy=NO_JITTER) == 1
    waiting = load(factory, "text-unsent")
    assert waiting.status is OutboxStatus.FAILED
    assert waiting.last_error == "DeliveryError: No sender is set up for the sms channel."
    # Positive control: configured, the gateway is used, in the demo too.
    gateway_url = f"http://127.0.0.1:{free_port()}/message"
    configured = build_senders(Settings(data_dir=tmp_path, sms_gateway_url=gateway_url))
    assert isinstance(configured["sms"], SmsGatewaySender)
    in_demo = build_senders(
        Settings(data_dir=tmp_path, mode=Mode.DEMO, sms_gateway_url=gateway_url)
    )
    assert isinstance(in_demo["sms"], SmsGatewaySender)
    by_email = build_senders(Settings(data_dir=tmp_path, sms_email_domain="sms.example.net"))
    assert isinstance(by_email["sms"], EmailToSmsSender)


def test_email_to_sms_goes_through_a_real_smtp_server_to_the_providers_domain(
    factory: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    _text(factory, org_id, "text-by-email")
    with smtp_server() as sink:
        smtp = SmtpEmailSender(host="127.0.0.1", port=sink.port, sender="alongside@clinic.test")
        sender = EmailToSmsSender(smtp, "sms.example.net")
        assert deliver_due(factory, now=NOW, senders={"sms": sender}) == 1
        assert sink.arrived.wait(WAIT_S)
    [email] = sink.messages
    assert sink.envelopes[0][1] == ["15550100123@sms.example.net"]
    assert email["Subject"] == ""
    assert email.get_content().strip() == TEXT
    assert load(factory, "text-by-email").status is OutboxStatus.DELIVERED


def test_the_settings_take_one_way_of_sending_texts(tmp_path: Path) -> None:
    assert not Settings(data_dir=tmp_path).sms_ready
    assert Settings(data_dir=tmp_path, sms_gateway_url="https://sms.clinic.test/send").sms_ready
    assert Settings(data_dir=tmp_path, sms_email_domain="sms.example.net").sms_ready
    with pytest.raises(ValidationError, match="set one of them"):
        Settings(
            data_dir=tmp_path,
            sms_gateway_url="https://sms.clinic.test/send",
            sms_email_domain="sms.example.net",
        )
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, sms_gateway_url="ftp://sms.clinic.test")
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, sms_email_domain="not a domain")


# ------------------------------------------------------------------ what administrators see


def test_administrators_see_a_texts_kind_and_state_never_the_number(
    client: TestClient, db: Session, world: World
) -> None:
    delivered = service.enqueue(
        db,
        kind="intake_link",
        channel="sms",
        recipient=NUMBER,
        subject="Your private link from the clinic",
        body=TEXT,
        payload={},
        idempotency_key="admin-text-1",
        organization_id=world.org.id,
        client_id=world.own_client.id,
        now=NOW,
    )
    delivered.status = OutboxStatus.DELIVERED
    delivered.delivered_at = NOW
    failing = service.enqueue(
        db,
        kind="measures_due",
        channel="sms",
        recipient=NUMBER,
        subject="Your questionnaires from the clinic",
        body=TEXT,
        payload={},
        idempotency_key="admin-text-2",
        organization_id=world.org.id,
        client_id=world.own_client.id,
        now=NOW,
    )
    failing.status = OutboxStatus.DEAD
    # A gateway error that quotes the number (ours do not; another sender's might).
    failing.last_error = "DeliveryError: the gateway refused +1 (555) 010-0123 and 15550100123"
    db.flush()
    sign_in(client, world.users[Role.ADMIN])
    listed = client.get("/api/outbox", params={"status": ["delivered", "dead"]})
    assert listed.status_code == 200
    rows = {row["id"]: row for row in listed.json()["items"]}
    for number in (NUMBER, "15550100123", "010-0123"):
        assert number not in listed.text
    assert rows[str(delivered.id)]["recipient"] == "a client (number not shown)"
    assert rows[str(delivered.id)]["channel"] == "sms"
    assert rows[str(delivered.id)]["status"] == "delivered"
    assert rows[str(failing.id)]["kind"] == "measures_due"
    assert rows[str(failing.id)]["last_error"] == (
        "DeliveryError: the gateway refused [number hidden] and [number hidden]"
    )
    page = client.get("/admin/outbox")
    assert page.status_code == 200
    for number in (NUMBER, "15550100123", "010-0123"):
        assert number not in page.text
    assert "Text message" in page.text
    assert "Intake link" in page.text  # the kind in words
    assert "a client (number not shown)" in page.text
    # Texts are not set up in this app, and the page says so in words.
    assert "Not set up: staff can send links by email only" in page.text


def test_the_outbox_page_names_the_gateway_host_but_no_secret(
    client: TestClient, world: World, app: object
) -> None:
    settings = app.state.settings  # type: ignore[attr-defined]
    app.state.settings = settings.model_copy(  # type: ignore[attr-defined]
        update={
            "sms_gateway_url": "http://phone.clinic.lan:8080/message",
            "sms_gateway_username": "sms",
            "sms_gateway_password": "pa55-secret",
        }
    )
    sign_in(client, world.users[Role.ADMIN])
    page = client.get("/admin/outbox").text
    assert "Through the clinic&#39;s SMS gateway at phone.clinic.lan." in page
    assert "pa55-secret" not in page
    assert "Not set up" not in page


def test_the_demos_outbox_page_says_texts_are_not_set_up_rather_than_fake_them(
    client: TestClient, world: World, app: object
) -> None:
    state = app.state  # type: ignore[attr-defined]
    state.settings = state.settings.model_copy(update={"mode": Mode.DEMO})
    sign_in(client, world.users[Role.ADMIN])
    page = client.get("/admin/outbox").text
    assert "To the demo mailbox on this machine: nothing leaves it." in page
    assert "Not set up: staff can send links by email only, and no text is sent or faked." in page


def test_how_messages_leave_is_said_for_each_way_of_setting_them_up(tmp_path: Path) -> None:
    hooks = {"oncall": {"url": "https://pager.clinic.test/hook", "secret": "s" * 32}}
    by_email = dict(
        delivery_routes(
            Settings(data_dir=tmp_path, sms_email_domain="sms.example.net", webhooks=hooks)
        )
    )
    assert by_email["Text message"] == "By email to the SMS provider's domain sms.example.net."
    assert by_email["Pager (webhook)"] == "To the webhooks named oncall."
    assert by_email["Email"] == "Through the mail relay at 127.0.0.1, port 25."
    unset = dict(delivery_routes(Settings(data_dir=tmp_path)))
    assert unset["Pager (webhook)"] == "No webhook is set up."
    assert unset["Text message"].startswith("Not set up")


def test_a_sender_handed_anything_but_a_number_sends_nothing() -> None:
    stray = Delivery(
        id=uuid.uuid4(),
        kind="intake_link",
        channel="sms",
        recipient="someone@example.org",
        subject="",
        body=TEXT,
        idempotency_key="stray",
        attempt=1,
    )
    emailed: list[Delivery] = []
    # Nothing listens on this port: a request would fail differently.
    gateway = SmsGatewaySender(f"http://127.0.0.1:{free_port()}/message")
    try:
        with pytest.raises(DeliveryError, match="not a phone number"):
            gateway(stray, now=NOW)
    finally:
        gateway.close()
    by_email = EmailToSmsSender(lambda d, *, now: emailed.append(d), "sms.example.net")
    with pytest.raises(DeliveryError, match="not a phone number"):
        by_email(stray, now=NOW)
    assert emailed == []
