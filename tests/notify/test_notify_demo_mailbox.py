"""In demo mode the outbox delivers to a demo mailbox, and the admin page shows deliveries."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from alongside.config import Mode, Settings
from alongside.kit.time import utcnow
from alongside.models import OutboxStatus
from alongside.notify import service
from alongside.notify.demo_mailbox import DemoMailbox
from alongside.notify.worker import Worker, build_senders


def test_demo_mode_uses_the_demo_mailbox(tmp_path: Path) -> None:
    senders = build_senders(Settings(mode=Mode.DEMO, data_dir=tmp_path))
    assert all(isinstance(sender, DemoMailbox) for sender in senders.values())
    real = build_senders(Settings(mode=Mode.DEVELOPMENT, data_dir=tmp_path))
    assert not any(isinstance(sender, DemoMailbox) for sender in real.values())


def test_demo_mailbox_marks_messages_delivered(
    session_factory: sessionmaker[Session], db: Session
) -> None:
    message = service.enqueue(
        db,
        kind="crisis_alert",
        channel="email",
        recipient="oncall@demo.test",
        subject="Crisis alert",
        body="Open the case.",
        payload={},
        idempotency_key="demo-1",
        now=utcnow(),
    )
    db.commit()
    mailbox = DemoMailbox()
    Worker(session_factory, {"email": mailbox, "webhook": mailbox}).run_once()
    db.expire_all()
    assert db.get(type(message), message.id).status == OutboxStatus.DELIVERED  # type: ignore[union-attr]
