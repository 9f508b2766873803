"""When repeat measures fall due, pure: plain times in, a due time (or None) out.

Two cadences, as a plan states them:

- *before each session*: a link is due ``lead`` before the start of the next booked session;
  each session gets one link (its start is the due key).
- *every N days*: due at ``anchor + k * N days`` for k >= 1 (the measures at the start of care
  are the intake's; repeats begin one interval later). A run after several missed intervals
  sends one link for the latest due date, not one per missed interval.

A due time is acted on only when it is later than the last one acted on, which is what makes
sending idempotent per plan and due time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def interval_due(
    anchor: datetime, interval_days: int, now: datetime, last_due: datetime | None
) -> datetime | None:
    """The latest due date of an every-N-days plan at ``now``, if not yet acted on."""
    if interval_days < 1:
        raise ValueError("interval_days must be at least 1")
    step = timedelta(days=interval_days)
    periods = (now - anchor) // step
    if periods < 1:
        return None
    due = anchor + periods * step
    if last_due is not None and due <= last_due:
        return None
    return due


def session_due(
    session_starts: Iterable[datetime],
    lead: timedelta,
    now: datetime,
    last_due: datetime | None,
) -> datetime | None:
    """The start of the next session whose link is due at ``now``, if not yet acted on."""
    candidates = sorted(
        start
        for start in session_starts
        if start > now and start - lead <= now and (last_due is None or start > last_due)
    )
    return candidates[0] if candidates else None


__all__ = ["interval_due", "session_due"]
