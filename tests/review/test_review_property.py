"""Property: no sequence of API calls puts a proposal in the record or in front of the client
without a clinician's decision (DESIGN.md invariant 1).

Hypothesis draws sequences of calls by every role (queue, case, decide with any outcome,
urgency, pathway and reason, acknowledge, the client's own endpoints). After every call:
a suggestion is decided exactly when one Decision exists, made by a clinician allowed to
decide for that client; the record (``decided_triage``) holds decisions only; and nothing the
client was answered contains a proposal.

Each example starts from fresh cases (two of the clinician's own client, one a crisis with its
open alert, and one outside their team), rolled back afterwards, and its random calls carry
one correct decision and one acknowledgement at random places: so the invariant is checked on
decided cases and answered alerts too, and the test asserts that at least half the examples
reached both (before, with shared and soon-decided cases, 0-2 of 30 did).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from alongside.models import CrisisAlert, Decision, Role, Suggestion, SuggestionStatus, User
from alongside.review.service import decided_triage
from alongside.security.access import actor_for
from alongside.security.permissions import Action
from alongside.security.policy import Resource, can
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in
from tests.review.review_support import NOW, submitted

ROLES = ("clinician", "other_clinician", "coordinator", "lead", "admin", "client")
OUTCOMES = ("accepted", "amended", "rejected", "maybe", "")
URGENCIES = ("crisis", "urgent", "soon", "routine", "whenever", None)
PATHWAYS = ("crisis-team", "low-intensity", "high-intensity", "nowhere", None)
REASONS = (None, "", "  ", "Clinical judgement after a phone call.")
ACTIONS = ("client_called", "no_answer", "other", "nap")

call = st.one_of(
    st.tuples(st.just("queue"), st.sampled_from(ROLES)),
    st.tuples(st.just("case"), st.sampled_from(ROLES), st.integers(0, 2)),
    st.tuples(
        st.just("decide"),
        st.sampled_from(ROLES),
        st.integers(0, 2),
        st.sampled_from(OUTCOMES),
        st.sampled_from(URGENCIES),
        st.sampled_from(PATHWAYS),
        st.sampled_from(REASONS),
    ),
    st.tuples(st.just("ack"), st.sampled_from(ROLES), st.integers(0, 2), st.sampled_from(ACTIONS)),
    st.tuples(st.just("client_reads"), st.just("client")),
)


@pytest.fixture
def clients(app: FastAPI, world: World) -> Iterator[dict[str, tuple[TestClient, str]]]:
    """One signed-in HTTP client per role (each has its own cookies)."""
    users = {
        "clinician": world.users[Role.CLINICIAN],
        "other_clinician": world.other_clinician,
        "coordinator": world.users[Role.COORDINATOR],
        "lead": world.users[Role.CLINICAL_LEAD],
        "admin": world.users[Role.ADMIN],
        "client": world.users[Role.CLIENT],
    }
    opened: dict[str, tuple[TestClient, str]] = {}
    for name, user in users.items():
        http = TestClient(app, raise_server_exceptions=False)
        opened[name] = (http, sign_in(http, user))
    yield opened
    for http, _csrf in opened.values():
        http.close()


def _check_invariant(db: Session, seen_by_client: list[str]) -> None:
    db.expire_all()
    for suggestion in db.scalars(select(Suggestion)):
        decisions = db.scalars(
            select(Decision).where(Decision.suggestion_id == suggestion.id)
        ).all()
        if suggestion.status is SuggestionStatus.PROPOSED:
            assert decisions == []
        else:
            assert len(decisions) == 1
            decision = decisions[0]
            assert decision.outcome.value == suggestion.status.value
            decider = db.get(User, decision.decided_by_id)
            assert decider is not None
            assert decider.role in (Role.CLINICIAN, Role.CLINICAL_LEAD)
            resource = Resource(
                organization_id=suggestion.organization_id, client_id=suggestion.client_id
            )
            assert can(actor_for(db, decider, NOW), Action.SUGGESTION_DECIDE, resource)
            if decision.outcome.value != "accepted":
                assert (decision.reason or "").strip()
        for recorded in decided_triage(db, suggestion.client_id):
            assert recorded.decided_by_id is not None
        for text in seen_by_client:
            assert str(suggestion.id) not in text
            assert suggestion.pathway not in text


def _send(
    clients: dict[str, tuple[TestClient, str]], step: tuple[Any, ...], ids: list[str]
) -> tuple[str, int, str]:
    kind, role = step[0], step[1]
    http, csrf = clients[role]
    headers = {"X-CSRF-Token": csrf}
    if kind == "queue":
        response = http.get("/api/review/queue")
    elif kind == "case":
        response = http.get(f"/api/review/{ids[step[2]]}")
    elif kind == "decide":
        _k, _r, index, outcome, urgency, pathway, reason = step
        body = {"outcome": outcome, "urgency": urgency, "pathway": pathway, "reason": reason}
        response = http.post(f"/api/review/{ids[index]}/decision", json=body, headers=headers)
    elif kind == "ack":
        response = http.post(
            f"/api/review/alerts/{ids[step[2]]}/acknowledge",
            json={"action": step[3], "note": None},
            headers=headers,
        )
    else:
        response = http.get("/api/clients")
    return role, response.status_code, response.text


DECIDABLE = (0, 1)  # the own client's two cases (the care-team clinician decides them)
VALID_URGENCIES = ("crisis", "urgent", "soon", "routine")
VALID_PATHWAYS = ("crisis-team", "low-intensity", "high-intensity")
CLINICAL_REASON = "Clinical judgement after a phone call."
# A call that a clinician allowed to decide makes correctly, and an acknowledgement by them.
decide_ok = st.tuples(
    st.just("decide"),
    st.just("clinician"),
    st.sampled_from(DECIDABLE),
    st.sampled_from(("accepted", "amended", "rejected")),
    st.sampled_from(VALID_URGENCIES),
    st.sampled_from(VALID_PATHWAYS),
    st.just(CLINICAL_REASON),
)
ack_ok = st.tuples(
    st.just("ack"),
    st.just("clinician"),
    st.just(0),
    st.sampled_from(("client_called", "no_answer")),
)


@st.composite
def sequences(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """Random calls, with one correct decision and one acknowledgement somewhere among them
    (so that most examples get past "nothing happened" to a decided case and an answered
    alert, and the invariant is checked on those states too)."""
    steps = draw(st.lists(call, min_size=0, max_size=10))
    for seeded in (draw(decide_ok), draw(ack_ok)):
        steps.insert(draw(st.integers(0, len(steps))), seeded)
    return steps


def _seed(db: Session, world: World) -> tuple[list[str], list[str]]:
    """Fresh states for one example: two cases of the own client (one a crisis, with its open
    alert) and one of a client outside the clinician's team."""
    clinician = world.users[Role.CLINICIAN]
    made = [
        submitted(db, clinician, world.own_client, "crisis"),
        submitted(db, clinician, world.own_client, reading=False),
        submitted(db, world.other_clinician, world.outside_client),
    ]
    db.commit()
    alerts = db.scalars(select(CrisisAlert).where(CrisisAlert.suggestion_id == made[0].id)).all()
    assert alerts, "a crisis intake opens its alert when it is submitted"
    return [str(s.id) for s in made], [str(a.id) for a in alerts]


def test_no_call_sequence_bypasses_the_clinicians_decision(
    db: Session,
    world: World,
    connection: Connection,
    clients: dict[str, tuple[TestClient, str]],
) -> None:
    reached: list[tuple[bool, bool]] = []
    db.commit()

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps=sequences())
    def run(steps: list[tuple[Any, ...]]) -> None:
        # Each example starts from the same world with fresh cases, rolled back afterwards.
        savepoint = connection.begin_nested()
        try:
            ids, alert_ids = _seed(db, world)
            seen_by_client: list[str] = []
            decided = acknowledged = False
            for step in steps:
                targets = alert_ids if step[0] == "ack" else ids
                role, status, text = _send(clients, step, targets * 3)
                assert status < 500, (step, text)
                if role == "client":
                    seen_by_client.append(text)
                    assert status in (200, 404, 422), step
                decided = decided or (step[0] == "decide" and status == 201)
                acknowledged = acknowledged or (step[0] == "ack" and status == 200)
                _check_invariant(db, seen_by_client)
            reached.append((decided, acknowledged))
        finally:
            db.commit()
            savepoint.rollback()
            db.expire_all()

    run()
    # The property is only as good as the states it reaches: most examples must get to a
    # successful decision and an acknowledgement (it was 0-2 in 30 before seeding them).
    both = sum(1 for decided, acknowledged in reached if decided and acknowledged)
    print(f"reached a decision and an acknowledgement in {both} of {len(reached)}")  # noqa: T201
    assert both / len(reached) >= 0.5, reached
