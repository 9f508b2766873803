"""Time helpers: everything is timezone-aware and stored in UTC.

- :func:`utcnow`.
- :data:`EARLIEST` / :data:`LATEST` and :func:`check_moment` / :func:`check_day`: the range of
  dates Alongside accepts from people (1900 to 2199), so arithmetic near ``datetime.min`` or
  ``datetime.max`` (an OverflowError) is never reached.
- :data:`AwareDateTime`, :data:`BoundedDate`, :data:`LocalTime`: pydantic types for request
  bodies and query parameters that answer a clear 422 for a time without its offset, a date
  out of range, or a wall-clock time that carries a zone or is not written as ``HH:MM``.
- :func:`check_zone_name` ``(name) -> str``: an IANA time zone name from the zone database,
  bounded in length (a 100,000-character "zone" used to reach the file system).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import AfterValidator, BeforeValidator

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
MAX_ZONE_NAME = 64
_RANGE = f"between {EARLIEST.year} and {LATEST.year}"
_HH_MM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def check_day(value: date) -> date:
    """``value`` if it lies in the accepted range, else ValueError naming the range."""
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"a date {_RANGE}")
    return value


def check_moment(value: datetime) -> datetime:
    """``value`` if it carries its offset and lies in the accepted range, else ValueError."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("give the time with its offset, e.g. 2030-01-07T10:00:00Z")
    # Compared on the local date first: converting 9999-12-31T23:00-05:00 to UTC overflows.
    check_day(value.date())
    return value


def _time_text(value: Any) -> Any:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _HH_MM.match(value.strip()):
        raise ValueError("a wall-clock time written as HH:MM, without a zone, e.g. 09:30")
    return value.strip()


def _naive_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a wall-clock time without a zone, e.g. 09:30")
    return value


AwareDateTime = Annotated[datetime, AfterValidator(check_moment)]
BoundedDate = Annotated[date, AfterValidator(check_day)]
LocalTime = Annotated[time, BeforeValidator(_time_text), AfterValidator(_naive_time)]


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def check_zone_name(name: str) -> str:
    """``name`` if it is a time zone of the IANA database, else ValueError (never echoed)."""
    if len(name) > MAX_ZONE_NAME or name not in _zone_names():
        raise ValueError("a time zone name such as Europe/London or America/New_York")
    return name


ZoneName = Annotated[str, AfterValidator(check_zone_name)]
