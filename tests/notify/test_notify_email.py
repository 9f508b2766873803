"""The SMTP sender against a real SMTP server (aiosmtpd): STARTTLS with a verified certificate,
sign-in, and recipients the server refuses for now or for good."""

from __future__ import annotations

import ipaddress
import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from notify_support import clear_outbox, committed_database, free_port, load
from sqlalchemy.orm import Session, sessionmaker

from alongside.db import session_scope
from alongside.models import Organization, OutboxStatus
from alongside.notify.delivery import Delivery, DeliveryError, PermanentDeliveryError
from alongside.notify.email import SmtpEmailSender
from alongside.notify.service import enqueue
from alongside.notify.worker import RetryPolicy, deliver_due

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
USER = "alongside-relay"
PASSWORD = "relay-password-for-tests"
NO_JITTER = RetryPolicy(max_attempts=3, base_s=30, factor=2, cap_s=3600, jitter=0)


@dataclass
class Certificates:
    """A test authority and a server certificate for 127.0.0.1 that it signed."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """Real certificates written to files, as a clinic's relay would have."""
    tmp = tmp_path_factory.mktemp("tls")
    start = datetime.now(UTC) - timedelta(days=1)
    end = start + timedelta(days=30)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Alongside test authority"))
        .issuer_name(_name("Alongside test authority"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = Certificates(tmp / "ca.pem", tmp / "server.pem", tmp / "server.key")
    files.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@dataclass
class Relay:
    """What a real SMTP relay that requires STARTTLS and sign-in received."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    sign_ins: list[tuple[str, bool]] = field(default_factory=list)  # (login, accepted)
    tls_at_mail: list[bool] = field(default_factory=list)


class _RelayHandler:
    def __init__(self, relay: Relay, refuse_with: str | None) -> None:
        self.relay = relay
        self.refuse_with = refuse_with

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse_with is not None:
            return self.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.relay.messages.append(parsed)
        self.relay.tls_at_mail.append(session.ssl is not None)
        return "250 Message accepted for delivery"


@contextmanager
def relay(
    certificates: Certificates,
    *,
    require_tls: bool = True,
    refuse_with: str | None = None,
) -> Iterator[Relay]:
    """An aiosmtpd relay on a free port: STARTTLS with the test certificate, sign-in required
    (and allowed only over TLS) when ``require_tls``."""
    sink = Relay(port=free_port())

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login = auth_data.login.decode()
        accepted = login == USER and auth_data.password.decode() == PASSWORD
        sink.sign_ins.append((login, accepted))
        # handled=False: the server itself answers a refusal with 535.
        return AuthResult(success=accepted, handled=False)

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(certificates.cert_file, certificates.key_file)
    controller = Controller(
        _RelayHandler(sink, refuse_with),
        hostname="127.0.0.1",
        port=sink.port,
        tls_context=tls,
        require_starttls=require_tls,
        auth_required=require_tls,
        authenticator=authenticator,
    )
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def trusted(certificates: Certificates, monkeypatch: pytest.MonkeyPatch) -> Certificates:
    """The test authority is the machine's trust store (as a clinic installs its own CA)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    return certificates


def _delivery(key: str = "crisis:intake-7:oncall") -> Delivery:
    return Delivery(
        id=uuid.uuid4(),
        kind="crisis_alert",
        channel="email",
        recipient="oncall@clinic.test",
        subject="Urgent: an intake needs review",
        body="Open the case: https://clinic.test/review/7",
        idempotency_key=key,
        attempt=1,
    )


def _sender(port: int, **overrides: Any) -> SmtpEmailSender:
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "sender": "alongside@clinic.test",
        "starttls": True,
        "username": USER,
        "password": PASSWORD,
    }
    settings.update(overrides)
    return SmtpEmailSender(**settings)


def test_mail_goes_over_starttls_and_signs_in_to_a_relay_that_requires_both(
    trusted: Certificates,
) -> None:
    with relay(trusted) as sink:
        _sender(sink.port)(_delivery(), now=NOW)
    [email] = sink.messages
    assert sink.sign_ins == [(USER, True)]
    assert sink.tls_at_mail == [True]
    assert email["To"] == "oncall@clinic.test"
    assert email["Subject"] == "Urgent: an intake needs review"
    assert email["Idempotency-Key"] == "crisis:intake-7:oncall"
    assert email["Message-ID"].endswith("@clinic.test>")
    assert "https://clinic.test/review/7" in email.get_content()


def test_a_wrong_relay_password_is_a_delivery_failure_and_nothing_is_sent(
    trusted: Certificates,
) -> None:
    with relay(trusted) as sink, pytest.raises(DeliveryError) as failure:
        _sender(sink.port, password="not-the-password")(_delivery(), now=NOW)
    # smtplib tries each mechanism the relay offers (PLAIN, then LOGIN); every one is refused.
    assert sink.sign_ins
    assert set(sink.sign_ins) == {(USER, False)}
    assert sink.messages == []
    assert str(failure.value).startswith("SMTPAuthenticationError: (535")
    assert "not-the-password" not in str(failure.value)


def test_a_relay_whose_certificate_is_not_trusted_is_never_sent_the_password(
    certificates: Certificates,
) -> None:
    """Without the authority in the trust store the TLS handshake fails: no sign-in, no mail."""
    with relay(certificates) as sink, pytest.raises(DeliveryError) as failure:
        _sender(sink.port)(_delivery(), now=NOW)
    assert sink.sign_ins == []
    assert sink.messages == []
    assert "CERTIFICATE_VERIFY_FAILED" in str(failure.value)


@pytest.mark.parametrize(
    ("answer", "permanent"),
    [("550 5.1.1 No such mailbox", True), ("450 4.2.1 Mailbox busy, try later", False)],
)
def test_a_refused_recipient_is_final_for_5xx_and_retried_for_4xx(
    certificates: Certificates, answer: str, permanent: bool
) -> None:
    with relay(certificates, require_tls=False, refuse_with=answer) as sink:
        with pytest.raises(DeliveryError) as failure:
            _sender(sink.port, starttls=False, username=None)(_delivery(), now=NOW)
    code = int(answer[:3])
    assert str(failure.value) == f"SMTP refused the recipient (codes [{code}])"
    assert isinstance(failure.value, PermanentDeliveryError) is permanent
    assert sink.messages == []


@pytest.fixture(scope="module")
def outbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """A committed database for the worker's view of the refusals."""
    with committed_database(tmp_path_factory.mktemp("email"), "email") as factory:
        yield factory


def test_the_worker_gives_up_on_a_refused_mailbox_at_once_but_retries_a_busy_one(
    outbox: sessionmaker[Session], certificates: Certificates
) -> None:
    clear_outbox(outbox)
    with session_scope(outbox) as session:
        org = Organization(name="Relay clinic", slug=f"relay-{uuid.uuid4().hex[:8]}", country="US")
        session.add(org)
        session.flush()
        for key in ("refused", "busy"):
            enqueue(
                session,
                kind="crisis_alert",
                channel="email",
                recipient=f"{key}@clinic.test",
                subject="Urgent: an intake needs review",
                body="Open the case",
                payload={},
                idempotency_key=key,
                organization_id=org.id,
                now=NOW,
            )

    class _Refuses(_RelayHandler):
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
        ) -> str:
            if address.startswith("refused@"):
                return "550 5.1.1 No such mailbox"
            return "450 4.2.1 Mailbox busy, try later"

    sink = Relay(port=free_port())
    controller = Controller(_Refuses(sink, None), hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        sender = _sender(sink.port, starttls=False, username=None)
        assert deliver_due(outbox, now=NOW, senders={"email": sender}, policy=NO_JITTER) == 2
    finally:
        controller.stop()
    refused = load(outbox, "refused")
    assert refused.status is OutboxStatus.DEAD
    assert refused.attempts == 1
    assert refused.last_error is not None
    assert "SMTP refused the recipient (codes [550])" in refused.last_error
    busy = load(outbox, "busy")
    assert busy.status is OutboxStatus.FAILED
    assert busy.attempts == 1
    assert busy.next_attempt_at == NOW + timedelta(seconds=30)
    assert busy.last_error is not None
    assert "SMTP refused the recipient (codes [450])" in busy.last_error
