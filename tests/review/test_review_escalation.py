"""Crisis escalation on committed data, through the real outbox worker and a real SMTP server.

Time is passed in (the worker's clock), so "15 minutes later" needs no waiting.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.migrate import upgrade
from alongside.models import CrisisAlert, OutboxMessage, Role, User
from alongside.notify.email import SmtpEmailSender
from alongside.notify.worker import Worker
from alongside.security.access import actor_for
from alongside.triage.escalation import acknowledge_alert, alerted_at_for, escalation_chain
from alongside.triage.service import set_on_call_rota
from tests.fixtures.db import fresh_database_url
from tests.fixtures.factories import create_client, create_organization, create_staff
from tests.notify.notify_support import SmtpSink, smtp_server
from tests.review.review_support import NOW, submitted


@dataclass
class Clinic:
    """Who is on call, in rota order, and the clinical lead."""

    on_call: list[uuid.UUID]
    emails: dict[uuid.UUID, str]
    lead: uuid.UUID
    suggestion_id: uuid.UUID


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """A migrated database whose sessions commit, with a key file."""
    tmp = tmp_path_factory.mktemp("escalation")
    for url in fresh_database_url(tmp, "escalation"):
        upgrade(url)
        engine = build_engine(url)
        try:
            yield make_sessionmaker(engine, FileKeyProvider(Path(tmp) / "kek.key"))
        finally:
            engine.dispose()


def _clinic(factory: sessionmaker[Session]) -> Clinic:
    with session_scope(factory) as db:
        org = create_organization(db)
        first, second, third = (create_staff(db, org, Role.CLINICIAN) for _ in range(3))
        lead = create_staff(db, org, Role.CLINICAL_LEAD)
        set_on_call_rota(db, org.id, [first.id, second.id, third.id], now=NOW)
        client = create_client(db, org, clinicians=(third,))
        suggestion = submitted(db, third, client, "crisis", at=NOW)
        emails = {user.id: user.email for user in (first, second, third, lead)}
        return Clinic([first.id, second.id, third.id], emails, lead.id, suggestion.id)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """A real SMTP server."""
    with smtp_server() as server:
        yield server


def _worker(factory: sessionmaker[Session], sink: SmtpSink, clock: list) -> Worker:  # type: ignore[type-arg]
    sender = SmtpEmailSender(host="127.0.0.1", port=sink.port, sender="alongside@clinic.test")
    return Worker(factory, {"email": sender}, clock=lambda: clock[0])


def _recipients(sink: SmtpSink) -> list[str]:
    return [rcpt for _sender, rcpts in sink.envelopes for rcpt in rcpts]


def test_unacknowledged_alert_goes_to_the_next_on_call_then_the_lead(
    committed: sessionmaker[Session], sink: SmtpSink
) -> None:
    clinic = _clinic(committed)
    clock = [NOW]
    worker = _worker(committed, sink, clock)
    first, second = (clinic.emails[person] for person in clinic.on_call[:2])
    lead = clinic.emails[clinic.lead]

    worker.run_once()
    assert first in _recipients(sink)
    assert "/review/intakes/" in sink.messages[-1].get_content()

    clock[0] = NOW + timedelta(minutes=14)
    worker.run_once()
    assert second not in _recipients(sink), "escalated before the configured 15 minutes"

    clock[0] = NOW + timedelta(minutes=15, seconds=1)
    worker.run_once()
    assert _recipients(sink).count(second) == 1
    assert "not acknowledged" in str(sink.messages[-1]["Subject"])

    clock[0] = NOW + timedelta(minutes=31)
    worker.run_once()
    assert _recipients(sink).count(lead) == 1
    # The third person on the rota is not on the path: next on call, then the lead.
    assert clinic.emails[clinic.on_call[2]] not in _recipients(sink)

    clock[0] = NOW + timedelta(minutes=90)
    worker.run_once()
    worker.run_once()
    with session_scope(committed) as db:
        alert = db.scalar(
            select(CrisisAlert).where(CrisisAlert.suggestion_id == clinic.suggestion_id)
        )
        assert alert is not None
        assert alert.exhausted_at is not None
        assert alert.acknowledged_at is None
        sent = [
            message.recipient
            for message in db.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "crisis_escalation")
            )
        ]
    assert sorted(sent) == sorted([second, lead])
    assert _recipients(sink).count(first) == 1


def test_acknowledgement_stops_the_escalation_and_is_recorded(
    committed: sessionmaker[Session], sink: SmtpSink
) -> None:
    clinic = _clinic(committed)
    clock = [NOW]
    worker = _worker(committed, sink, clock)
    worker.run_once()
    first = clinic.on_call[0]
    with session_scope(committed) as db:
        user = db.get(User, first)
        assert user is not None
        alert = db.scalar(
            select(CrisisAlert).where(CrisisAlert.suggestion_id == clinic.suggestion_id)
        )
        assert alert is not None
        acknowledge_alert(
            db,
            user=user,
            actor=actor_for(db, user, NOW),
            alert_id=alert.id,
            action="client_called",
            note="Spoke with the client; safety plan agreed.",
            now=NOW + timedelta(minutes=4),
        )
    clock[0] = NOW + timedelta(hours=2)
    worker.run_once()
    assert _recipients(sink) == [clinic.emails[first]]
    with session_scope(committed) as db:
        alert = db.scalar(
            select(CrisisAlert).where(CrisisAlert.suggestion_id == clinic.suggestion_id)
        )
        assert alert is not None
        assert alert.acknowledged_by_id == first
        assert alert.action_taken == "client_called"
        assert alert.action_note == "Spoke with the client; safety plan agreed."
        assert alert.level == 0


def test_escalation_chain_is_next_on_call_then_leads() -> None:
    a, b, c, lead = (uuid.uuid4() for _ in range(4))
    assert escalation_chain([a, b, c], [lead], first=b) == [b, c, lead]
    assert escalation_chain([a, b, c], [lead]) == [a, b, lead]
    assert escalation_chain([a], [a, lead]) == [a, lead]
    assert escalation_chain([], [lead]) == [lead]


def test_each_reader_sees_when_they_were_alerted_not_the_latest_escalation(
    committed: sessionmaker[Session], sink: SmtpSink
) -> None:
    clinic = _clinic(committed)
    clock = [NOW]
    worker = _worker(committed, sink, clock)
    worker.run_once()
    clock[0] = NOW + timedelta(minutes=15, seconds=1)
    worker.run_once()
    first, second, third = clinic.on_call
    with session_scope(committed) as db:
        alert = db.scalar(
            select(CrisisAlert).where(CrisisAlert.suggestion_id == clinic.suggestion_id)
        )
        assert alert is not None
        assert alert.sent_at == NOW + timedelta(minutes=15, seconds=1)  # moved on to the second
        first_alerted = alerted_at_for(db, alert, first)
        assert first_alerted is not None
        assert first_alerted <= NOW + timedelta(minutes=1)
        assert alerted_at_for(db, alert, second) == NOW + timedelta(minutes=15, seconds=1)
        assert alerted_at_for(db, alert, third) is None
