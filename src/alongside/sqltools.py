"""SQL helpers with no domain words: keyset pages, and expressions that PostgreSQL and SQLite
spell differently (for aggregates counted by the database). Cursors themselves are
:mod:`alongside.kit.keyset` (pure).

API
---
- :class:`Keyset` ``(columns, descending=False)``: ``order_by()``, ``after(values)`` (a
  row-value comparison, which PostgreSQL and SQLite both answer from a composite index).
- :func:`ranked_page` ``(base, keyset, ranks, after, limit) -> Subquery``: the page of a list
  split into ranked groups, as one UNION ALL of one index range scan per group; its columns
  are ``base``'s plus ``rank``.
- :func:`outside` ``(column, values)``: true where ``column`` holds none of ``values``, as
  open ranges between them, so the rows can be found by an index range scan.
- :class:`seconds_between` ``(start, end)``: ``end - start`` in seconds (float; SQLite's is
  rounded to the millisecond, the precision its day-number arithmetic keeps).
- :class:`week_start` ``(moment)``: the Monday (UTC) of the ISO week of ``moment``.
- :func:`as_date` ``(value) -> date``: a :class:`week_start` read back, as a ``date``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Select,
    Subquery,
    and_,
    false,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy import union_all as sql_union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# A column of a table or of a mapped class (``Client.created_at``).
Column = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class Keyset:
    """An order over columns whose last one is unique, so every row has one place in it."""

    columns: tuple[Column, ...]
    descending: bool = False

    def order_by(self, columns: Sequence[Column] | None = None) -> list[Any]:
        """ORDER BY terms for the keyset's columns (or the same-shaped ``columns``)."""
        chosen = self.columns if columns is None else columns
        return [c.desc() if self.descending else c.asc() for c in chosen]

    def after(
        self, values: Sequence[Any], columns: Sequence[Column] | None = None
    ) -> ColumnElement[bool]:
        """Rows strictly after ``values`` in this order."""
        chosen = tuple(self.columns if columns is None else columns)
        if len(values) != len(chosen):
            raise ValueError("a cursor needs one value per keyset column")
        left = tuple_(*chosen)
        right = tuple_(*(literal(v, c.type) for v, c in zip(values, chosen, strict=True)))
        return left < right if self.descending else left > right


def outside(column: Column, values: Sequence[str]) -> ColumnElement[bool]:
    """``column`` holds none of ``values`` (as ranges an index can answer; NULL excluded)."""
    ordered = sorted(set(values))
    if not ordered:
        return column.is_not(None)
    parts = [column < ordered[0], column > ordered[-1]]
    parts += [and_(column > low, column < high) for low, high in pairwise(ordered)]
    return or_(*parts)


def ranked_page(
    base: Select[*tuple[Any, ...]],
    keyset: Keyset,
    ranks: Sequence[ColumnElement[bool]],
    after: tuple[int, Sequence[Any]] | None,
    limit: int,
) -> Subquery:
    """At most ``limit`` rows of ``base`` after the cursor, group by group in rank order.

    ``base`` selects labelled columns, including the keyset's (by the same names); each rank's
    rows come from their own ordered, limited scan, so each is an index range scan. The
    result has ``base``'s columns plus ``rank``; order it by ``rank`` then the keyset.
    """
    arms = []
    for rank, condition in enumerate(ranks):
        if after is not None and rank < after[0]:
            continue
        arm = base.where(condition)
        if after is not None and rank == after[0]:
            arm = arm.where(keyset.after(after[1]))
        arm = arm.add_columns(literal(rank).label("rank"))
        arm = arm.order_by(*keyset.order_by()).limit(limit)
        arms.append(select(arm.subquery()))
    if not arms:
        empty = base.add_columns(literal(0).label("rank")).where(false())
        arms.append(select(empty.subquery()))
    return sql_union_all(*arms).subquery("ranked_page")


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
