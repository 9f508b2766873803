"""Bookable slots from a clinician's weekly hours, exceptions and existing appointments.

Pure: no database, no settings, no clock (the caller passes the window, usually from ``now``).

API::

    bookable_slots(weekly, exceptions, tz, start, end, slot_minutes, busy) -> list[Slot]

- ``weekly``: :class:`WeeklyHours` (weekday 0 = Monday, local wall-clock ``start``/``end``).
- ``exceptions``: :class:`Leave` (an aware time range, or whole local days via
  :meth:`Leave.days`) removes every slot it touches; :class:`ExtraHours` adds one-off hours on
  a local date. Leave wins over extra hours, so nobody is booked while away.
- ``tz``: the clinician's IANA zone (``"Europe/London"`` or a ``ZoneInfo``). Hours are wall-clock
  times in that zone, so a 09:00 slot stays 09:00 local across a daylight-saving change (its
  UTC time moves by the offset change).
- ``start``/``end``: the aware window; only slots wholly inside it are returned.
- ``busy``: anything with aware ``start``/``end`` (appointments, holds); overlapping slots go.

Slots are laid on a grid from the start of each (merged) block of hours, every
``slot_minutes``, and returned sorted, without duplicates, as :class:`Slot` in UTC.

Daylight-saving policy (deliberate; tested for America/New_York and Europe/London):
a slot is offered only when its wall-clock label is true. A slot whose local start does not
exist (the skipped hour when clocks go forward) or occurs twice (the repeated hour when clocks go
back) is not offered, and neither is a slot whose real length would differ from
``slot_minutes`` on the wall clock (one that runs across the change). Offering "01:30" on the
night clocks go back would name two different instants; clinics rarely work these hours, and
a missing slot is safer than a double-meaning one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alongside.errors import InvalidInput
from alongside.kit.time import check_zone_name

__all__ = [
    "ExtraHours",
    "Leave",
    "Slot",
    "TimeRange",
    "WeeklyHours",
    "bookable_slots",
    "resolve_zone",
]

_MAX_WINDOW = timedelta(days=366)


class TimeRange(Protocol):
    """Anything with an aware start and end (an appointment, a hold, a slot)."""

    @property
    def start(self) -> datetime:
        """When it begins (timezone-aware)."""
        ...

    @property
    def end(self) -> datetime:
        """When it ends (timezone-aware, after start)."""
        ...


@dataclass(frozen=True, order=True)
class Slot:
    """A bookable time, timezone-aware in UTC; ordered by start."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "slot start")
        _require_aware(self.end, "slot end")
        if self.end <= self.start:
            raise InvalidInput(f"A slot must end after it starts ({self.start} to {self.end}).")

    def minutes(self) -> int:
        """Length in whole minutes."""
        return int((self.end - self.start).total_seconds() // 60)

    def overlaps(self, other: TimeRange) -> bool:
        """True when the two ranges share any instant (touching ends do not overlap)."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class WeeklyHours:
    """Recurring hours on one weekday (0 = Monday), wall-clock in the clinician's zone."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidInput(f"Weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday}.")
        _require_wall_time(self.start, "weekly hours start")
        _require_wall_time(self.end, "weekly hours end")
        if self.end <= self.start:
            raise InvalidInput(
                f"Weekly hours must end after they start ({self.start} to {self.end}); "
                "split hours that cross midnight into two days."
            )


@dataclass(frozen=True)
class ExtraHours:
    """One-off extra hours on a local date, wall-clock in the clinician's zone."""

    day: date
    start: time
    end: time

    def __post_init__(self) -> None:
        _require_wall_time(self.start, "extra hours start")
        _require_wall_time(self.end, "extra hours end")
        if self.end <= self.start:
            raise InvalidInput(
                f"Extra hours on {self.day} must end after they start ({self.start} to {self.end})."
            )


@dataclass(frozen=True)
class Leave:
    """Time away (aware range); every slot touching it is withdrawn, extra hours included."""

    start: datetime
    end: datetime
    reason: str = ""

    def __post_init__(self) -> None:
        _require_aware(self.start, "leave start")
        _require_aware(self.end, "leave end")
        if self.end <= self.start:
            raise InvalidInput(f"Leave must end after it starts ({self.start} to {self.end}).")

    @classmethod
    def days(cls, first: date, last: date, tz: str | ZoneInfo, reason: str = "") -> Leave:
        """Whole local days ``first`` to ``last`` inclusive, from local midnight to midnight."""
        if last < first:
            raise InvalidInput(f"Leave ends ({last}) before it starts ({first}).")
        zone = resolve_zone(tz)
        begin = datetime.combine(first, time(0), tzinfo=zone)
        finish = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
        return cls(begin.astimezone(UTC), finish.astimezone(UTC), reason)


def resolve_zone(tz: str | ZoneInfo) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name, or a clear error naming the bad zone."""
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        # Checked against the zone database first: a long or odd name must not reach the
        # file system (OSError) and is never echoed back.
        return ZoneInfo(check_zone_name(tz))
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidInput("Unknown time zone; use an IANA name such as 'Europe/London'.") from exc


def bookable_slots(
    weekly: Sequence[WeeklyHours],
    exceptions: Sequence[Leave | ExtraHours],
    tz: str | ZoneInfo,
    start: datetime,
    end: datetime,
    slot_minutes: int,
    busy: Iterable[TimeRange] = (),
) -> list[Slot]:
    """Free slots of ``slot_minutes`` inside ``[start, end)``, in UTC, sorted by start."""
    zone = resolve_zone(tz)
    _require_aware(start, "window start")
    _require_aware(end, "window end")
    if end <= start:
        raise InvalidInput(f"The window must end after it starts ({start} to {end}).")
    if end - start > _MAX_WINDOW:
        raise InvalidInput("The window may span at most 366 days; ask for a shorter range.")
    if not 5 <= slot_minutes <= 24 * 60:
        raise InvalidInput(f"Slot length must be 5 to 1440 minutes, not {slot_minutes}.")

    leaves = [e for e in exceptions if isinstance(e, Leave)]
    extras = [e for e in exceptions if isinstance(e, ExtraHours)]
    blocked = sorted(
        [(b.start, b.end) for b in busy if _checked_range(b)] + [(v.start, v.end) for v in leaves]
    )
    length = timedelta(minutes=slot_minutes)

    slots: list[Slot] = []
    # A day either side of the window in local terms, because the local date at the UTC
    # window's edges can differ from the UTC date.
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last_day:
        blocks = [(w.start, w.end) for w in weekly if w.weekday == day.weekday()]
        blocks += [(x.start, x.end) for x in extras if x.day == day]
        for block_start, block_end in _merge(blocks):
            wall = datetime.combine(day, block_start)
            wall_end = datetime.combine(day, block_end)
            while wall + length <= wall_end:
                slot = _true_slot(wall, length, zone)
                if slot is not None and start <= slot.start and slot.end <= end:
                    if not _touches_any(slot, blocked):
                        slots.append(slot)
                wall += length
        day += timedelta(days=1)
    return sorted(set(slots))


def _true_slot(wall: datetime, length: timedelta, zone: ZoneInfo) -> Slot | None:
    """The slot at naive local ``wall``, or None when its wall-clock label would not be true."""
    if _is_gap_or_fold(wall, zone):
        return None
    begins = wall.replace(tzinfo=zone).astimezone(UTC)
    ends = begins + length
    # The real end, read back on the local clock, must say start + length; otherwise the slot
    # runs across a clock change and its label would lie about its length.
    if ends.astimezone(zone).replace(tzinfo=None) != wall + length:
        return None
    return Slot(begins, ends)


def _is_gap_or_fold(wall: datetime, zone: ZoneInfo) -> bool:
    """True when a naive local time is skipped or repeated in ``zone`` (offsets differ by fold)."""
    first = wall.replace(tzinfo=zone, fold=0).utcoffset()
    second = wall.replace(tzinfo=zone, fold=1).utcoffset()
    return first != second


def _merge(blocks: list[tuple[time, time]]) -> list[tuple[time, time]]:
    """Union of overlapping or touching wall-clock blocks, so the slot grid is not doubled."""
    merged: list[tuple[time, time]] = []
    for begin, finish in sorted(blocks):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def _touches_any(slot: Slot, blocked: list[tuple[datetime, datetime]]) -> bool:
    """True when the slot overlaps any blocked range."""
    return any(b_start < slot.end and slot.start < b_end for b_start, b_end in blocked)


def _checked_range(item: TimeRange) -> bool:
    """Validate a busy range (aware, positive length) and keep it."""
    _require_aware(item.start, "busy start")
    _require_aware(item.end, "busy end")
    if item.end <= item.start:
        raise InvalidInput(f"A busy time must end after it starts ({item.start} to {item.end}).")
    return True


def _require_aware(moment: datetime, what: str) -> None:
    """Refuse naive datetimes: a time without a zone cannot be placed on anyone's clock."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"The {what} ({moment}) needs a time zone.")


def _require_wall_time(moment: time, what: str) -> None:
    """Wall-clock hours are naive local times; a zone on them would be ambiguous."""
    if moment.tzinfo is not None:
        raise InvalidInput(f"The {what} ({moment}) is a local wall-clock time; drop its zone.")
