"""The review queue pages in queue order across urgencies; oversight counts in the database and
agrees with the pure definitions; a clinician's small queue costs what its page costs."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from alongside.models import (
    Client,
    Decision,
    DecisionOutcome,
    Role,
    Suggestion,
    SuggestionStatus,
    User,
)
from alongside.review import service
from alongside.review.oversight import (
    overall_override_rate,
    override_rate_by_model,
    override_rate_by_rule,
    override_rate_by_ruleset,
    time_to_first_review,
)
from alongside.review.queue import URGENCIES, QueueItem, order_queue
from alongside.security.access import actor_for
from tests.clients.test_clients_query_count import _key_queries, _list_queries, counted
from tests.fixtures.factories import World, create_client, create_staff
from tests.fixtures.web import sign_in
from tests.review.review_support import NOW

VERSIONS = [
    {"ruleset": "default", "ruleset_version": "2025.3", "risk": {"model": "rules-2025.3"}},
    {"ruleset": "default", "ruleset_version": "2025.4", "risk": {"model": "rules-2025.4"}},
    {"ruleset": "default", "ruleset_version": "2025.4", "risk": None},
]
RULES = [[], ["phq9-severe"], ["phq9-severe", "cssrs-recent"], ["own-words-risk"]]


def proposal(
    db: Session, client: Client, urgency: str, minutes_ago: float, **extra: object
) -> Suggestion:
    """A triage proposal stored as the triage service stores one (no intake needed here)."""
    values: dict[str, object] = {
        "organization_id": client.organization_id,
        "client_id": client.id,
        "kind": "triage",
        "status": SuggestionStatus.PROPOSED,
        "urgency": urgency,
        "pathway": "step2",
        "inputs_digest": "0" * 64,
        "versions": VERSIONS[0],
        "fired_rules": [],
        "reasons": "[]",
        "inputs": "{}",
        "proposed_at": NOW - timedelta(minutes=minutes_ago),
    }
    values.update(extra)
    suggestion = Suggestion(**values)
    db.add(suggestion)
    db.flush()
    return suggestion


def _queue_pages(client: TestClient, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        params: dict[str, object] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        answer = client.get("/api/review/queue", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append([row["suggestion_id"] for row in body["items"]])
        cursor = body["next"]
        if cursor is None:
            return pages


def test_the_queue_pages_across_urgencies_in_queue_order_without_repeats(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    rng = random.Random(7)
    made = []
    for urgency in ["routine", "soon", "urgent", "crisis", "unheard-of"] * 3:
        person = create_client(db, world.org, clinicians=(clinician,))
        made.append(proposal(db, person, urgency, rng.randint(1, 5000)))
    # Same time, different ids: the id breaks the tie.
    twin = create_client(db, world.org, clinicians=(clinician,))
    made.append(proposal(db, twin, "urgent", 30))
    made.append(proposal(db, twin, "urgent", 30))
    outside = proposal(db, world.outside_client, "crisis", 9999)
    sign_in(client, clinician)
    expected = [
        str(item.suggestion_id)
        for item in order_queue([QueueItem(s.id, s.urgency, s.proposed_at) for s in made])
    ]
    for limit in (1, 4, 200):
        pages = _queue_pages(client, limit)
        flat = [sid for page in pages for sid in page]
        assert flat == expected, limit
    assert str(outside.id) not in expected
    # Unknown urgencies come first, so a person looks at them.
    assert _queue_pages(client, 3)[0][0] in {str(s.id) for s in made if s.urgency == "unheard-of"}


def test_a_decision_between_pages_neither_repeats_nor_skips_the_rest(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    made = [
        proposal(db, create_client(db, world.org, clinicians=(clinician,)), "soon", n)
        for n in range(10, 0, -1)
    ]
    sign_in(client, clinician)
    first = client.get("/api/review/queue", params={"limit": 4}).json()
    assert [r["suggestion_id"] for r in first["items"]] == [str(s.id) for s in made[:4]]
    made[1].status = SuggestionStatus.ACCEPTED  # decided while the page was open
    newer = proposal(db, create_client(db, world.org, clinicians=(clinician,)), "crisis", 0)
    db.flush()
    rest = client.get("/api/review/queue", params={"limit": 50, "cursor": first["next"]}).json()
    assert [r["suggestion_id"] for r in rest["items"]] == [str(s.id) for s in made[4:]]
    assert str(newer.id) in client.get("/api/review/queue").text


def test_queue_cursors_are_checked(client: TestClient, db: Session, world: World) -> None:
    clinician = world.users[Role.CLINICIAN]
    for n in range(3):
        proposal(db, create_client(db, world.org, clinicians=(clinician,)), "soon", n)
    sign_in(client, clinician)
    cursor = client.get("/api/review/queue", params={"limit": 1}).json()["next"]
    assert client.get("/api/review/queue", params={"cursor": cursor}).status_code == 200
    bad = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    assert client.get("/api/review/queue", params={"cursor": bad}).status_code == 422
    # A client-list cursor is not a queue cursor.
    client_cursor = client.get("/api/clients", params={"limit": 1}).json()["next"]
    assert client.get("/api/review/queue", params={"cursor": client_cursor}).status_code == 422
    assert client.get("/api/review/queue", params={"limit": 201}).status_code == 422
    html = client.get("/review", params={"cursor": bad})
    assert html.status_code == 422


def test_a_one_row_queue_decrypts_one_client_however_large_the_care_team(
    client: TestClient, db: Session, world: World, connection: Connection
) -> None:
    clinician = create_staff(db, world.org, Role.CLINICIAN)
    team = [create_client(db, world.org, clinicians=(clinician,)) for _ in range(40)]
    proposal(db, team[0], "soon", 5)
    sign_in(client, clinician)
    with counted(connection) as statements:
        answer = client.get("/api/review/queue")
    assert answer.status_code == 200
    assert len(answer.json()["items"]) == 1
    # The page, its keys (one query), alerts, review targets.
    assert len(_list_queries(statements)) == 4, [s[:60] for s in _list_queries(statements)]
    assert _key_queries(statements) == 1
    keys = next(s for s in statements if "FROM client_keys" in s)
    assert keys.count("?") + keys.count("%(") <= 2  # one client's key asked for, not forty


def _decide(db: Session, suggestion: Suggestion, outcome: DecisionOutcome, after: float) -> None:
    db.add(
        Decision(
            organization_id=suggestion.organization_id,
            client_id=suggestion.client_id,
            suggestion_id=suggestion.id,
            outcome=outcome,
            decided_at=suggestion.proposed_at + timedelta(minutes=after),
            proposed_urgency=suggestion.urgency,
            proposed_pathway=suggestion.pathway,
            proposed_at=suggestion.proposed_at,
            proposed_rules=list(suggestion.fired_rules),
            proposed_versions=dict(suggestion.versions),
        )
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_oversight_figures_from_the_database_match_the_definitions(
    db: Session, world: World, seed: int
) -> None:
    rng = random.Random(seed)
    person = create_client(db, world.org)
    for n in range(70):
        suggestion = proposal(
            db,
            person,
            rng.choice([*URGENCIES, "unheard-of"]),
            rng.randint(0, 60 * 24 * 60),
            versions=rng.choice(VERSIONS),
            fired_rules=rng.choice(RULES),
        )
        if n % 5:
            outcome = rng.choice(list(DecisionOutcome))
            _decide(db, suggestion, outcome, rng.choice([0, 1, 7.5, 60, 600, 3000, -40000]))
    db.flush()
    lead: User = world.users[Role.CLINICAL_LEAD]
    figures = service.oversight_figures(db, actor=actor_for(db, lead, NOW), now=NOW, weeks=None)
    records = service.decision_records(db, world.org.id)
    assert figures.overall == overall_override_rate(records)
    assert figures.by_rule == override_rate_by_rule(records)
    assert figures.by_ruleset == override_rate_by_ruleset(records)
    assert figures.by_model == override_rate_by_model(records)
    expected_times = time_to_first_review(records, URGENCIES)
    assert sorted(figures.review_times, key=lambda r: r.urgency) == sorted(
        expected_times, key=lambda r: r.urgency
    )
    assert [r.urgency for r in figures.review_times][:4] == list(URGENCIES)
    assert sum(week.decided for week in figures.by_week) == figures.overall.decided
    for week in figures.by_week:
        assert date.fromisoformat(week.key).weekday() == 0  # a Monday
    # Review times by week of the decision and urgency: as the definitions give for the
    # decisions of that week, and every decided (week, urgency) is there.
    decided_records = [r for r in records if r.decided_at is not None]

    def monday(moment: datetime) -> str:
        day = moment.astimezone(UTC).date()
        return (day - timedelta(days=day.weekday())).isoformat()

    keys = {(monday(r.decided_at), r.urgency) for r in decided_records if r.decided_at}
    assert set(figures.review_times_by_week) == keys
    for (week_key, urgency), got in figures.review_times_by_week.items():
        in_week = [
            r
            for r in decided_records
            if r.decided_at and monday(r.decided_at) == week_key and r.urgency == urgency
        ]
        (expected,) = time_to_first_review(in_week, [urgency])
        assert got == expected, (week_key, urgency)
    # Another organisation's decisions never count.
    other = create_client(db, world.other_org)
    _decide(db, proposal(db, other, "crisis", 10), DecisionOutcome.REJECTED, 5)
    db.flush()
    again = service.oversight_figures(db, actor=actor_for(db, lead, NOW), now=NOW, weeks=None)
    assert again.overall == figures.overall
    # A window counts the decisions made in it, and every proposal still waiting.
    since = NOW - timedelta(weeks=4)
    recent = [r for r in records if r.decided_at is None or r.decided_at >= since]
    windowed = service.oversight_figures(db, actor=actor_for(db, lead, NOW), now=NOW, weeks=4)
    assert windowed.by_rule == override_rate_by_rule(recent)
    assert windowed.overall == overall_override_rate(recent)
    assert 0 < windowed.overall.decided < figures.overall.decided
    assert sorted(windowed.review_times, key=lambda r: r.urgency) == sorted(
        time_to_first_review(recent, URGENCIES), key=lambda r: r.urgency
    )


def test_the_queue_page_names_urgencies_in_words(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    for urgency in ("crisis", "routine"):
        proposal(db, create_client(db, world.org, clinicians=(clinician,)), urgency, 10)
    sign_in(client, clinician)
    html = client.get("/review").text
    assert 'badge-crisis">Crisis</span>' in html
    assert 'badge-routine">Routine</span>' in html
    assert 'badge-crisis">crisis</span>' not in html
