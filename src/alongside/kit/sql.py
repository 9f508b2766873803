"""SQL expressions that PostgreSQL and SQLite spell differently, for aggregates in the database.

API
---
- :class:`seconds_between` ``(start, end)``: ``end - start`` in seconds (float; SQLite's is
  rounded to the millisecond, the precision its day-number arithmetic keeps).
- :class:`week_start` ``(moment)``: the Monday (UTC) of the ISO week of ``moment``, as a date
  on PostgreSQL and ``YYYY-MM-DD`` text on SQLite (read it with :func:`as_date`).
- :func:`as_date` ``(value) -> date``: either form as a ``date``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement[float]):
    """Seconds from the first argument to the second."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


class week_start(FunctionElement[date]):
    """The Monday of the argument's ISO week (UTC)."""

    type = Date()
    inherit_cache = True
    name = "week_start"


def _args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(argument, **kw) for argument in element.clauses]


@compiles(seconds_between, "postgresql")
def _seconds_between_pg(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"(ROUND((julianday({end}) - julianday({start})) * 86400000.0) / 1000.0)"


@compiles(week_start, "postgresql")
def _week_start_pg(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"CAST(date_trunc('week', {moment} AT TIME ZONE 'UTC') AS DATE)"


@compiles(week_start, "sqlite")
def _week_start_sqlite(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"date({moment}, '-6 days', 'weekday 1')"


def as_date(value: object) -> date:
    """A date read back from :class:`week_start` on either database."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
