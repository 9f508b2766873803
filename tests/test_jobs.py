"""Periodic jobs run from the worker, each in its own transaction, at their interval."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from alongside import jobs
from alongside.config import Settings
from alongside.kit.time import utcnow
from alongside.notify.worker import Worker


def test_every_job_runs_on_an_empty_clinic(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    results = jobs.run_periodic_jobs(session_factory, settings, utcnow())
    assert results == {"measures_due": 0, "appointment_reminders": 0, "rescreen_checks": 0}


def test_a_failing_job_does_not_stop_the_others(
    session_factory: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []

    def broken(_session: Session, _now: object, _settings: Settings) -> int:
        raise RuntimeError("boom")

    def fine(_session: Session, _now: object, _settings: Settings) -> int:
        ran.append("fine")
        return 3

    monkeypatch.setattr(jobs, "JOBS", (("broken", broken), ("fine", fine)))
    results = jobs.run_periodic_jobs(session_factory, settings, utcnow())
    assert results == {"broken": None, "fine": 3}
    assert ran == ["fine"]


def test_the_worker_runs_periodic_jobs_at_their_interval(
    session_factory: sessionmaker[Session],
) -> None:
    calls: list[object] = []
    now = [utcnow()]
    worker = Worker(
        session_factory, {}, clock=lambda: now[0], periodic=calls.append, periodic_seconds=300
    )
    worker.run_once()
    worker.run_once()
    assert len(calls) == 1
    now[0] += timedelta(seconds=301)
    worker.run_once()
    assert len(calls) == 2
