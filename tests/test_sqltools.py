"""The SQL helpers on the test database (SQLite or PostgreSQL, whichever the run uses): keyset
pages, ranked pages, ranges outside a set of values, and the expressions the two databases
spell differently (also compiled for the other database, whose text is checked)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alongside.models import Organization
from alongside.models.base import UTCDateTime
from alongside.sqltools import Keyset, as_date, outside, ranked_page, seconds_between, week_start

# Names repeat so the keyset's last column (the unique id) decides between equal names.
NAMES = ("Birch", "Alder", "Birch", "Cedar", "Alder", "Birch", "Elm")


@pytest.fixture
def orgs(db: Session) -> list[Organization]:
    """Organisations of this test only (a slug prefix tells them apart from any other)."""
    prefix = f"sq-{uuid.uuid4().hex[:8]}"
    rows = [
        Organization(
            name=name,
            slug=f"{prefix}-{index}",
            country="US" if index % 2 else "GB",
        )
        for index, name in enumerate(NAMES)
    ]
    db.add_all(rows)
    db.flush()
    return rows


def _mine(orgs: Sequence[Organization]) -> Any:
    return Organization.slug.like(orgs[0].slug.rsplit("-", 1)[0] + "-%")


@pytest.mark.parametrize("descending", [False, True])
def test_keyset_pages_walk_every_row_once_in_order(
    db: Session, orgs: list[Organization], descending: bool
) -> None:
    keyset = Keyset((Organization.name, Organization.id), descending=descending)
    expected = sorted(((o.name, o.id) for o in orgs), reverse=descending)
    seen: list[tuple[str, uuid.UUID]] = []
    cursor: tuple[str, uuid.UUID] | None = None
    while True:
        query = select(Organization.name, Organization.id).where(_mine(orgs))
        if cursor is not None:
            query = query.where(keyset.after(cursor))
        page = [tuple(row) for row in db.execute(query.order_by(*keyset.order_by()).limit(3))]
        if not page:
            break
        seen += page  # type: ignore[arg-type]
        cursor = page[-1]  # type: ignore[assignment]
    assert seen == expected


def test_a_cursor_with_the_wrong_number_of_values_is_refused() -> None:
    keyset = Keyset((Organization.name, Organization.id))
    with pytest.raises(ValueError, match="one value per keyset column"):
        keyset.after(("Birch",))


def test_outside_keeps_the_rows_holding_none_of_the_values(
    db: Session, orgs: list[Organization]
) -> None:
    def names(condition: Any) -> list[str]:
        return sorted(db.scalars(select(Organization.name).where(_mine(orgs), condition)))

    assert names(outside(Organization.name, ["Birch", "Alder", "Birch"])) == ["Cedar", "Elm"]
    # Values below, between and above the stored ones: every range is open at both ends.
    assert names(outside(Organization.name, ["Aaa", "Cedar", "Zed"])) == sorted(
        n for n in NAMES if n != "Cedar"
    )
    assert names(outside(Organization.name, [])) == sorted(NAMES)


def test_ranked_pages_give_each_group_in_rank_order_across_cursors(
    db: Session, orgs: list[Organization]
) -> None:
    keyset = Keyset((Organization.name, Organization.id))
    base = select(Organization.name.label("name"), Organization.id.label("id")).where(_mine(orgs))
    ranks = [Organization.country == "US", Organization.country == "GB"]
    expected = [
        (rank, o.name, o.id)
        for rank, country in enumerate(("US", "GB"))
        for o in sorted(orgs, key=lambda o: (o.name, o.id))
        if o.country == country
    ]
    seen: list[tuple[int, str, uuid.UUID]] = []
    after: tuple[int, Sequence[Any]] | None = None
    while True:
        page = ranked_page(base, keyset, ranks, after, limit=2)
        rows = [
            (row.rank, row.name, row.id)
            for row in db.execute(
                select(page.c.rank, page.c.name, page.c.id)
                .order_by(page.c.rank, page.c.name, page.c.id)
                .limit(2)
            )
        ]
        if not rows:
            break
        seen += rows
        last = rows[-1]
        after = (last[0], (last[1], last[2]))
    assert seen == expected
    # A cursor past the last group reads nothing (the page is a query with no rows).
    beyond = ranked_page(base, keyset, ranks, (len(ranks), ("Zzz", uuid.uuid4())), limit=2)
    assert db.execute(select(beyond.c.id)).all() == []


START = datetime(2026, 3, 1, 23, 30, 0, 250000, tzinfo=UTC)  # a Sunday


def _moment(value: datetime) -> Any:
    return literal(value, UTCDateTime)


def test_seconds_between_two_moments_on_the_database(db: Session) -> None:
    later = START + timedelta(hours=1, seconds=1, milliseconds=500)
    assert db.scalar(select(seconds_between(_moment(START), _moment(later)))) == pytest.approx(
        3601.5, abs=0.001
    )
    assert db.scalar(select(seconds_between(_moment(later), _moment(START)))) == pytest.approx(
        -3601.5, abs=0.001
    )


@pytest.mark.parametrize(
    ("moment", "monday"),
    [
        (START, date(2026, 2, 23)),  # Sunday night: the week began the Monday before
        (START + timedelta(hours=1), date(2026, 3, 2)),  # past midnight: Monday itself
        (datetime(2026, 3, 4, 12, tzinfo=UTC), date(2026, 3, 2)),  # midweek
    ],
)
def test_week_start_is_the_monday_of_the_iso_week_in_utc(
    db: Session, moment: datetime, monday: date
) -> None:
    assert as_date(db.scalar(select(week_start(_moment(moment))))) == monday


def test_each_database_is_given_its_own_spelling() -> None:
    moment = literal(START, UTCDateTime)
    pg = {
        "seconds": str(seconds_between(moment, moment).compile(dialect=postgresql.dialect())),
        "week": str(week_start(moment).compile(dialect=postgresql.dialect())),
    }
    lite = {
        "seconds": str(seconds_between(moment, moment).compile(dialect=sqlite.dialect())),
        "week": str(week_start(moment).compile(dialect=sqlite.dialect())),
    }
    assert pg["seconds"].startswith("CAST(EXTRACT(EPOCH FROM (")
    assert pg["week"].startswith("CAST(date_trunc('week', ")
    assert "AT TIME ZONE 'UTC'" in pg["week"]
    assert lite["seconds"].startswith("(ROUND((julianday(")
    assert lite["week"].endswith(", '-6 days', 'weekday 1')")


def test_as_date_reads_what_either_database_returns() -> None:
    assert as_date(date(2026, 3, 2)) == date(2026, 3, 2)
    assert as_date(datetime(2026, 3, 2, 0, 0, tzinfo=UTC)) == date(2026, 3, 2)
    assert as_date("2026-03-02") == date(2026, 3, 2)
    assert as_date("2026-03-02 00:00:00") == date(2026, 3, 2)
