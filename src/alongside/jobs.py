"""Periodic jobs the worker runs between deliveries: repeat measures that are due,
appointment reminders, and re-screens to judge.

Each job runs in its own transaction, so one failing never stops the others or the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from alongside.config import Settings
from alongside.db import session_scope

log = logging.getLogger("alongside.jobs")


def _due_measures(session: Session, now: datetime, settings: Settings) -> int:
    from alongside.measures.service import due_measures

    report = due_measures(session, now=now, link_base=settings.effective_public_url)
    return len(report.created)


def _reminders(session: Session, now: datetime, settings: Settings) -> int:
    from alongside.scheduling.reminders import send_due_reminders

    return send_due_reminders(session, now=now)


def _rescreens(session: Session, now: datetime, settings: Settings) -> int:
    from alongside.scheduling.waitlist import check_rescreens

    return len(check_rescreens(session, now=now, case_url_base=settings.effective_public_url))


JOBS: tuple[tuple[str, Callable[[Session, datetime, Settings], int]], ...] = (
    ("measures_due", _due_measures),
    ("appointment_reminders", _reminders),
    ("rescreen_checks", _rescreens),
)


def run_periodic_jobs(
    session_factory: sessionmaker[Session], settings: Settings, now: datetime
) -> dict[str, int | None]:
    """Run every job once; a job that fails is logged (by type only) and reported as None."""
    results: dict[str, int | None] = {}
    for name, job in JOBS:
        try:
            with session_scope(session_factory) as session:
                results[name] = job(session, now, settings)
        except Exception:
            log.exception("periodic_job_failed", extra={"event": name})
            results[name] = None
    return results


def periodic_runner(
    session_factory: sessionmaker[Session], settings: Settings
) -> Callable[[datetime], object]:
    """The callable the worker runs every ``settings.jobs_interval_seconds``."""
    return lambda now: run_periodic_jobs(session_factory, settings, now)
