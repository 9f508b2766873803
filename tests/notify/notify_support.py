"""Real receivers for outbox tests: an SMTP server (aiosmtpd), an HTTP webhook receiver and an
HTTP SMS gateway.

Both run in threads of the test process on free 127.0.0.1 ports; nothing is mocked.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.migrate import upgrade
from alongside.models import OutboxMessage
from alongside.notify.webhook import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_webhook_signature,
)
from tests.fixtures.db import fresh_database_url

WAIT_S = 30.0  # an upper bound for a busy machine, never a timing assertion


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class SmtpSink:
    """What a real SMTP server received."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)


class _SmtpHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.sink.messages.append(parsed)
        self.sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.sink.arrived.set()
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[SmtpSink]:
    """An aiosmtpd server on a free local port for the duration of the block."""
    sink = SmtpSink(port=free_port())
    controller = Controller(_SmtpHandler(sink), hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class ReceivedWebhook:
    """One request as the receiver saw it, and whether its signature checked out."""

    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool


@dataclass
class WebhookReceiver:
    """A real HTTP server that verifies signatures and answers with scripted statuses."""

    secret: str
    now: datetime
    port: int = 0
    statuses: list[int] = field(default_factory=list)  # consumed in order; then 200
    received: list[ReceivedWebhook] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """Where to post."""
        return f"http://127.0.0.1:{self.port}/hooks/alongside"

    def keys(self) -> list[str]:
        """The idempotency keys of every request received."""
        with self.lock:
            return [r.headers.get(IDEMPOTENCY_HEADER.lower(), "") for r in self.received]


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            valid = verify_webhook_signature(
                receiver.secret,
                headers.get(TIMESTAMP_HEADER.lower(), ""),
                body,
                headers.get(SIGNATURE_HEADER.lower(), ""),
                now=receiver.now,
            )
            with receiver.lock:
                receiver.received.append(ReceivedWebhook(self.path, headers, body, valid))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            if not valid:
                status = 401
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test asserts on what arrived."""

    return Handler


@contextmanager
def webhook_receiver(secret: str, now: datetime) -> Iterator[WebhookReceiver]:
    """A threaded HTTP receiver on a free local port for the duration of the block."""
    receiver = WebhookReceiver(secret=secret, now=now)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(receiver))
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=WAIT_S)


@dataclass
class ReceivedText:
    """One request as the SMS gateway saw it."""

    path: str
    headers: dict[str, str]
    document: dict[str, Any]


@dataclass
class SmsGateway:
    """A real HTTP server standing for a clinic's SMS gateway, answering scripted statuses."""

    port: int = 0
    statuses: list[int] = field(default_factory=list)  # consumed in order; then 200
    received: list[ReceivedText] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """Where to post texts."""
        return f"http://127.0.0.1:{self.port}/message"


def _gateway_handler(gateway: SmsGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            document = json.loads(self.rfile.read(length))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with gateway.lock:
                gateway.received.append(ReceivedText(self.path, headers, document))
                status = gateway.statuses.pop(0) if gateway.statuses else 200
            answer = b'{"state": "Pending"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test asserts on what arrived."""

    return Handler


@contextmanager
def sms_gateway() -> Iterator[SmsGateway]:
    """A threaded HTTP SMS gateway on a free local port for the duration of the block."""
    gateway = SmsGateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _gateway_handler(gateway))
    gateway.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=WAIT_S)


@contextmanager
def committed_database(tmp: Path, name: str) -> Iterator[sessionmaker[Session]]:
    """A fresh migrated database whose sessions really commit (SQLite or PostgreSQL)."""
    for url in fresh_database_url(tmp, name):
        upgrade(url)
        engine = build_engine(url)
        try:
            yield make_sessionmaker(engine)
        finally:
            engine.dispose()


def clear_outbox(factory: sessionmaker[Session]) -> None:
    """Remove every outbox row (tests sharing one committed database start empty)."""
    with session_scope(factory) as session:
        session.execute(delete(OutboxMessage))


def count_outbox(factory: sessionmaker[Session]) -> int:
    """How many outbox rows are committed."""
    with session_scope(factory) as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def load(factory: sessionmaker[Session], key: str) -> OutboxMessage:
    """The committed message with this idempotency key."""
    with session_scope(factory) as session:
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        assert message is not None, key
        return message
