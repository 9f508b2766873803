"""Late notes, pure: time from the end of a session to its signed note, by clinician.

A session counts once it has ended and was attended. Its delay is ``signed_at - ends_at`` when
a progress note for it is signed (or awaiting co-signature, which is signed by its author);
sessions without a signed note are *waiting*, and waiting longer than ``overdue_after`` makes
them *overdue*. Medians use the middle value (mean of the two middle ones for an even count).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class SessionNote:
    """One attended session and when its note was signed (None: not yet)."""

    clinician: str
    ended_at: datetime
    signed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ClinicianTimeliness:
    """One clinician's figures."""

    clinician: str
    signed: int
    median_delay: timedelta | None
    waiting: int
    overdue: int


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The middle value, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def timeliness(
    sessions: Iterable[SessionNote], *, now: datetime, overdue_after: timedelta
) -> list[ClinicianTimeliness]:
    """Per clinician, by name: signed count, median delay, waiting and overdue sessions."""
    by_clinician: dict[str, list[SessionNote]] = {}
    for session in sessions:
        if session.ended_at <= now:
            by_clinician.setdefault(session.clinician, []).append(session)
    out = []
    for clinician in sorted(by_clinician, key=str.casefold):
        rows = by_clinician[clinician]
        delays = [max(r.signed_at - r.ended_at, timedelta(0)) for r in rows if r.signed_at]
        waiting = [r for r in rows if r.signed_at is None]
        out.append(
            ClinicianTimeliness(
                clinician=clinician,
                signed=len(delays),
                median_delay=median(delays),
                waiting=len(waiting),
                overdue=sum(1 for r in waiting if now - r.ended_at > overdue_after),
            )
        )
    return out
