"""Ordering the review queue and measuring each case's wait against its target.

Pure: plain values in, plain values out; no database, settings or clock (pass ``now``).

The queue is ordered by urgency (crisis, urgent, soon, routine), then by time waited (longest
first). Urgency only orders the work: every proposal is in the queue whatever its urgency
(DESIGN.md invariant 9).

The wait targets are part of the triage rules: the active ruleset version's own, or, when it
sets none, Alongside's defaults below (placeholders for the clinic's own service standards,
not clinical standards). A clinical lead changes them by activating a new version of the rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from alongside.triage.rulesets import DEFAULT_WAIT_TARGET_HOURS

URGENCIES: tuple[str, ...] = ("crisis", "urgent", "soon", "routine")

# Defaults to replace, not clinical standards (see the module docstring); one definition, in
# the rules, so the queue and the rules editor cannot disagree about them.
DEFAULT_TARGET_MINUTES: Mapping[str, int] = {
    urgency: round(hours * 60) for urgency, hours in DEFAULT_WAIT_TARGET_HOURS.items()
}
DEFAULT_ESCALATION_MINUTES = 15


@dataclass(frozen=True)
class QueueItem:
    """What ordering needs to know about one waiting proposal."""

    suggestion_id: uuid.UUID
    urgency: str
    proposed_at: datetime


_Item = TypeVar("_Item", bound=QueueItem)


@dataclass(frozen=True)
class Wait:
    """How long a case has waited, its target, and whether the target has passed."""

    waited: timedelta
    target: timedelta
    overdue: bool
    fraction: float

    @property
    def remaining(self) -> timedelta:
        """Time left before the target (negative once it has passed)."""
        return self.target - self.waited


def urgency_position(urgency: str) -> int:
    """0 for crisis … 3 for routine; an unknown urgency sorts first, so a person looks at it."""
    try:
        return URGENCIES.index(urgency)
    except ValueError:
        return -1


def order_queue(items: Sequence[_Item]) -> list[_Item]:
    """Most urgent first, then longest waiting first (then by id, so the order is stable)."""
    return sorted(
        items,
        key=lambda item: (
            urgency_position(item.urgency),
            item.proposed_at,
            str(item.suggestion_id),
        ),
    )


def targets_from(minutes: Mapping[str, int | None]) -> dict[str, timedelta]:
    """Targets per urgency: the given minutes, the defaults where none is given."""
    return {
        urgency: timedelta(minutes=minutes.get(urgency) or DEFAULT_TARGET_MINUTES[urgency])
        for urgency in URGENCIES
    }


def wait_of(
    proposed_at: datetime, urgency: str, targets: Mapping[str, timedelta], now: datetime
) -> Wait:
    """The case's wait at ``now`` against its urgency's target (crisis's for an unknown one)."""
    target = targets.get(urgency, targets["crisis"])
    waited = max(now - proposed_at, timedelta(0))
    fraction = waited / target if target > timedelta(0) else 1.0
    return Wait(waited=waited, target=target, overdue=waited > target, fraction=fraction)


def describe_duration(duration: timedelta) -> str:
    """A duration in the largest whole units a reader needs: ``3 d 4 h``, ``2 h 5 min``."""
    total_minutes = int(abs(duration).total_seconds() // 60)
    days, rest = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        text = f"{days} d {hours} h" if hours else f"{days} d"
    elif hours:
        text = f"{hours} h {minutes} min" if minutes else f"{hours} h"
    else:
        text = f"{minutes} min"
    return f"-{text}" if duration < timedelta(0) else text
