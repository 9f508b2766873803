"""Bookable slots: weekly hours, exceptions, busy times and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.errors import InvalidInput
from alongside.scheduling.availability import (
    ExtraHours,
    Leave,
    Slot,
    WeeklyHours,
    bookable_slots,
)

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
EVERY_DAY_NINE_TO_NOON = [WeeklyHours(d, time(9), time(12)) for d in range(7)]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC datetime from its parts."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local_starts(slots: list[Slot], zone: ZoneInfo) -> list[str]:
    """Slot starts as local 'YYYY-MM-DD HH:MM' strings, for readable assertions."""
    return [s.start.astimezone(zone).strftime("%Y-%m-%d %H:%M") for s in slots]


def test_weekly_hours_make_slots_in_utc() -> None:
    # Monday 2 March 2026, London on GMT (UTC+0): 09:00-12:00 gives three hour slots.
    slots = bookable_slots(
        [WeeklyHours(0, time(9), time(12))],
        [],
        "Europe/London",
        utc(2026, 3, 2),
        utc(2026, 3, 3),
        60,
    )
    assert [(s.start, s.end) for s in slots] == [
        (utc(2026, 3, 2, 9), utc(2026, 3, 2, 10)),
        (utc(2026, 3, 2, 10), utc(2026, 3, 2, 11)),
        (utc(2026, 3, 2, 11), utc(2026, 3, 2, 12)),
    ]
    assert all(s.start.tzinfo is UTC for s in slots)


def test_slot_that_does_not_fit_the_block_is_not_offered() -> None:
    slots = bookable_slots(
        [WeeklyHours(0, time(9), time(11))], [], "UTC", utc(2026, 3, 2), utc(2026, 3, 3), 50
    )
    assert [s.start for s in slots] == [utc(2026, 3, 2, 9), utc(2026, 3, 2, 9, 50)]


@pytest.mark.parametrize(
    ("zone", "before", "after", "utc_hour_before", "utc_hour_after"),
    [
        # New York springs forward on Sunday 8 March 2026 (EST UTC-5 -> EDT UTC-4).
        (NEW_YORK, date(2026, 3, 6), date(2026, 3, 9), 14, 13),
        # New York falls back on Sunday 1 November 2026 (EDT -> EST).
        (NEW_YORK, date(2026, 10, 30), date(2026, 11, 2), 13, 14),
        # London springs forward on Sunday 29 March 2026 (GMT -> BST UTC+1).
        (LONDON, date(2026, 3, 27), date(2026, 3, 30), 9, 8),
        # London falls back on Sunday 25 October 2026 (BST -> GMT).
        (LONDON, date(2026, 10, 23), date(2026, 10, 26), 8, 9),
    ],
)
def test_nine_oclock_stays_nine_oclock_across_daylight_saving(
    zone: ZoneInfo, before: date, after: date, utc_hour_before: int, utc_hour_after: int
) -> None:
    slots = bookable_slots(
        EVERY_DAY_NINE_TO_NOON,
        [],
        zone,
        datetime.combine(before, time(0), tzinfo=UTC),
        datetime.combine(after + timedelta(days=1), time(0), tzinfo=UTC),
        60,
    )
    first_of_day = {s.start.astimezone(zone).date(): s for s in reversed(slots)}
    assert first_of_day[before].start.astimezone(zone).time() == time(9)
    assert first_of_day[after].start.astimezone(zone).time() == time(9)
    assert first_of_day[before].start.hour == utc_hour_before
    assert first_of_day[after].start.hour == utc_hour_after
    # Four days, three slots each, none lost to the change at 01:00/02:00.
    assert len(slots) == 12
    assert all(s.minutes() == 60 for s in slots)


def test_new_york_spring_forward_skips_slots_in_or_across_the_missing_hour() -> None:
    # 02:00-03:00 does not exist on 8 March 2026 in New York.
    hours = [WeeklyHours(6, time(0), time(4))]
    slots = bookable_slots(hours, [], NEW_YORK, utc(2026, 3, 8), utc(2026, 3, 9), 60)
    # 01:00-02:00 would last 60 real minutes but end at 03:00 on the clock: not offered.
    assert local_starts(slots, NEW_YORK) == ["2026-03-08 00:00", "2026-03-08 03:00"]
    assert all(s.minutes() == 60 for s in slots)


def test_new_york_fall_back_skips_the_repeated_hour() -> None:
    # 01:00-02:00 happens twice on 1 November 2026 in New York.
    hours = [WeeklyHours(6, time(0), time(3))]
    slots = bookable_slots(hours, [], NEW_YORK, utc(2026, 11, 1), utc(2026, 11, 2), 30)
    assert local_starts(slots, NEW_YORK) == [
        "2026-11-01 00:00",
        "2026-11-01 00:30",
        "2026-11-01 02:00",
        "2026-11-01 02:30",
    ]
    assert len({s.start for s in slots}) == len(slots)


def test_london_spring_forward_skips_the_missing_hour() -> None:
    # 01:00-02:00 does not exist on 29 March 2026 in London.
    hours = [WeeklyHours(6, time(0), time(3))]
    slots = bookable_slots(hours, [], LONDON, utc(2026, 3, 28, 12), utc(2026, 3, 30), 30)
    # 00:30-01:00 would end at 02:00 on the clock (a 30-minute slot labelled 90): not offered.
    assert local_starts(slots, LONDON) == [
        "2026-03-29 00:00",
        "2026-03-29 02:00",
        "2026-03-29 02:30",
    ]
    assert slots[1].start == utc(2026, 3, 29, 1)


def test_london_fall_back_skips_the_repeated_hour() -> None:
    # 01:00-02:00 happens twice on 25 October 2026 in London.
    hours = [WeeklyHours(6, time(0), time(3))]
    slots = bookable_slots(hours, [], LONDON, utc(2026, 10, 24, 12), utc(2026, 10, 26), 60)
    assert local_starts(slots, LONDON) == ["2026-10-25 00:00", "2026-10-25 02:00"]
    assert [s.start for s in slots] == [utc(2026, 10, 24, 23), utc(2026, 10, 25, 2)]


def test_leave_days_remove_every_slot_on_those_days() -> None:
    leave = Leave.days(date(2026, 3, 3), date(2026, 3, 4), "Europe/London", "annual leave")
    slots = bookable_slots(
        EVERY_DAY_NINE_TO_NOON, [leave], LONDON, utc(2026, 3, 2), utc(2026, 3, 6), 60
    )
    assert sorted({s.start.date() for s in slots}) == [date(2026, 3, 2), date(2026, 3, 5)]


def test_leave_range_removes_only_slots_it_touches() -> None:
    leave = Leave(utc(2026, 3, 2, 10, 30), utc(2026, 3, 2, 11))
    slots = bookable_slots(
        [WeeklyHours(0, time(9), time(12))], [leave], "UTC", utc(2026, 3, 2), utc(2026, 3, 3), 60
    )
    assert [s.start.hour for s in slots] == [9, 11]


def test_extra_hours_add_slots_and_merge_with_weekly_hours() -> None:
    extra = [
        ExtraHours(date(2026, 3, 2), time(11), time(14)),  # overlaps the weekly block
        ExtraHours(date(2026, 3, 7), time(10), time(11)),  # a Saturday
    ]
    slots = bookable_slots(
        [WeeklyHours(0, time(9), time(12))], extra, "UTC", utc(2026, 3, 2), utc(2026, 3, 9), 60
    )
    assert [s.start for s in slots] == [
        utc(2026, 3, 2, 9),
        utc(2026, 3, 2, 10),
        utc(2026, 3, 2, 11),
        utc(2026, 3, 2, 12),
        utc(2026, 3, 2, 13),
        utc(2026, 3, 7, 10),
    ]


def test_leave_wins_over_extra_hours() -> None:
    extra = ExtraHours(date(2026, 3, 7), time(10), time(12))
    leave = Leave.days(date(2026, 3, 7), date(2026, 3, 7), "UTC")
    assert bookable_slots([], [extra, leave], "UTC", utc(2026, 3, 1), utc(2026, 3, 9), 60) == []


def test_busy_times_remove_overlapping_slots() -> None:
    busy = [
        Slot(utc(2026, 3, 2, 9), utc(2026, 3, 2, 10)),
        Slot(utc(2026, 3, 2, 11, 30), utc(2026, 3, 2, 11, 45)),
    ]
    slots = bookable_slots(
        [WeeklyHours(0, time(9), time(12))], [], "UTC", utc(2026, 3, 2), utc(2026, 3, 3), 60, busy
    )
    assert [s.start.hour for s in slots] == [10]


def test_window_keeps_only_slots_wholly_inside() -> None:
    slots = bookable_slots(
        [WeeklyHours(0, time(9), time(12))],
        [],
        "UTC",
        utc(2026, 3, 2, 9, 30),
        utc(2026, 3, 2, 12),
        60,
    )
    assert [s.start.hour for s in slots] == [10, 11]


def test_window_near_midnight_uses_the_local_date() -> None:
    # Tokyo is UTC+9: Monday 09:00 local is Monday 00:00 UTC, Sunday in UTC terms before it.
    slots = bookable_slots(
        [WeeklyHours(0, time(9), time(10))],
        [],
        "Asia/Tokyo",
        utc(2026, 3, 1, 20),
        utc(2026, 3, 2, 2),
        60,
    )
    assert [s.start for s in slots] == [utc(2026, 3, 2, 0)]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: WeeklyHours(7, time(9), time(10)), "Weekday"),
        (lambda: WeeklyHours(0, time(22), time(2)), "cross midnight"),
        (lambda: ExtraHours(date(2026, 3, 2), time(10), time(9)), "Extra hours"),
        (lambda: Leave(utc(2026, 3, 2), utc(2026, 3, 1)), "Leave must end"),
        (lambda: Leave.days(date(2026, 3, 2), date(2026, 3, 1), "UTC"), "before it starts"),
        (lambda: Slot(datetime(2026, 3, 2, 9), utc(2026, 3, 2, 10)), "needs a time zone"),  # noqa: DTZ001 - the naive value under test
        (
            lambda: bookable_slots([], [], "Mars/Olympus", utc(2026, 3, 2), utc(2026, 3, 3), 60),
            "Unknown time zone",
        ),
        (
            lambda: bookable_slots([], [], "UTC", utc(2026, 3, 3), utc(2026, 3, 2), 60),
            "window must end",
        ),
        (
            lambda: bookable_slots([], [], "UTC", utc(2026, 3, 2), utc(2026, 3, 3), 0),
            "Slot length",
        ),
        (
            lambda: bookable_slots([], [], "UTC", utc(2026, 1, 1), utc(2027, 6, 1), 60),
            "366 days",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(InvalidInput, match=message):
        call()


@given(
    zone=st.sampled_from(["America/New_York", "Europe/London", "Australia/Sydney", "UTC"]),
    start_day=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 1)),
    slot_minutes=st.sampled_from([15, 30, 45, 50, 60, 90]),
    block=st.tuples(st.integers(0, 22), st.integers(1, 24)),
)
def test_slots_are_true_sorted_and_never_overlap(
    zone: str, start_day: date, slot_minutes: int, block: tuple[int, int]
) -> None:
    first, length = block
    last = min(first + length, 23)
    weekly = [WeeklyHours(d, time(first), time(last, 59)) for d in range(7)]
    start = datetime.combine(start_day, time(0), tzinfo=UTC)
    slots = bookable_slots(weekly, [], zone, start, start + timedelta(days=21), slot_minutes)
    local = ZoneInfo(zone)
    for slot, following in pairwise(slots):
        assert slot.end <= following.start
    for slot in slots:
        assert slot.minutes() == slot_minutes
        wall_start = slot.start.astimezone(local)
        wall_end = slot.end.astimezone(local)
        # The label on the local clock is exactly as long as the slot.
        assert wall_end.replace(tzinfo=None) - wall_start.replace(tzinfo=None) == timedelta(
            minutes=slot_minutes
        )
        assert time(first) <= wall_start.time()
        assert wall_end.time() <= time(last, 59)
