"""Twenty concurrent bookings of one slot, with real commits: exactly one wins, the rest get 409.

Runs on SQLite (triggers inside IMMEDIATE transactions) and, with ALONGSIDE_TEST_DATABASE_URL
pointing at PostgreSQL, on the exclusion constraints.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from test_scheduling_service import MONDAY_NINE, NOW

from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.errors import AlongsideError, Conflict
from alongside.migrate import upgrade
from alongside.models import Appointment, Role, User
from alongside.scheduling import booking, service
from alongside.security.access import actor_for
from tests.fixtures.db import fresh_database_url
from tests.fixtures.factories import create_client, create_organization, create_staff

THREADS = 20


@dataclass
class Committed:
    """A migrated database with one working clinician, a coordinator and twenty clients."""

    factory: sessionmaker[Session]
    clinician_id: uuid.UUID
    coordinator_id: uuid.UUID
    client_ids: list[uuid.UUID]
    clinician_ids: list[uuid.UUID]


@pytest.fixture
def committed(tmp_path: Path) -> Iterator[Committed]:
    """Real commits on a fresh database (SQLite file or a new PostgreSQL database)."""
    for url in fresh_database_url(tmp_path, "booking_race"):
        upgrade(url)
        engine = build_engine(url)
        factory = make_sessionmaker(engine, FileKeyProvider(tmp_path / "kek.key"))
        with session_scope(factory) as session:
            org = create_organization(session)
            coordinator = create_staff(session, org, Role.COORDINATOR)
            clinicians = [create_staff(session, org, Role.CLINICIAN) for _ in range(THREADS)]
            for clinician in clinicians:
                me = actor_for(session, clinician, NOW)
                for weekday in range(5):
                    service.add_weekly_hours(
                        session,
                        actor=me,
                        clinician_id=clinician.id,
                        weekday=weekday,
                        start=time(9),
                        end=time(17),
                    )
            clients = [create_client(session, org) for _ in range(THREADS)]
            setup = Committed(
                factory,
                clinicians[0].id,
                coordinator.id,
                [c.id for c in clients],
                [c.id for c in clinicians],
            )
        try:
            yield setup
        finally:
            engine.dispose()


def _race(setup: Committed, pairs: list[tuple[uuid.UUID, uuid.UUID]]) -> list[object]:
    """Book each (client, clinician) pair at Monday 09:00 from its own thread, all at once."""
    barrier = threading.Barrier(len(pairs))
    outcomes: list[object] = [None] * len(pairs)

    def attempt(index: int, client_id: uuid.UUID, clinician_id: uuid.UUID) -> None:
        try:
            barrier.wait()
            with session_scope(setup.factory) as session:
                user = session.get(User, setup.coordinator_id)
                assert user is not None
                appointment = booking.book_appointment(
                    session,
                    user=user,
                    actor=actor_for(session, user, NOW),
                    client_id=client_id,
                    clinician_id=clinician_id,
                    starts_at=MONDAY_NINE,
                    reason="First assessment",
                    now=NOW,
                )
                outcomes[index] = appointment.id
        except AlongsideError as exc:
            outcomes[index] = exc
        except Exception as exc:  # recorded so the assertion shows it
            outcomes[index] = exc

    threads = [
        threading.Thread(target=attempt, args=(i, client_id, clinician_id))
        for i, (client_id, clinician_id) in enumerate(pairs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _stored(setup: Committed) -> int:
    with session_scope(setup.factory) as session:
        return int(session.scalar(select(func.count()).select_from(Appointment)) or 0)


def test_twenty_clients_racing_for_one_clinicians_slot(committed: Committed) -> None:
    pairs = [(client_id, committed.clinician_id) for client_id in committed.client_ids]
    outcomes = _race(committed, pairs)
    wins = [o for o in outcomes if isinstance(o, uuid.UUID)]
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(wins) == 1, outcomes
    assert len(conflicts) == THREADS - 1, outcomes
    assert all(c.status_code == 409 and "just taken" in c.message for c in conflicts)
    assert _stored(committed) == 1


def test_one_client_racing_into_twenty_clinicians_diaries(committed: Committed) -> None:
    client_id = committed.client_ids[0]
    outcomes = _race(committed, [(client_id, c) for c in committed.clinician_ids])
    assert sum(isinstance(o, uuid.UUID) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, Conflict) for o in outcomes) == THREADS - 1, outcomes
    assert _stored(committed) == 1
