"""A page that shows a refusal stores nothing of the refused change (issue 13).

The pages catch a service's error and render it, so the request's transaction commits. Before
``alongside.db.refusable`` it committed whatever the service wrote before it refused, and it
dropped the writes registered with ``after_rollback`` (a counted sign-in failure), because
``session_scope`` discards them on success. Each page test below failed before the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from alongside.db import after_rollback, build_engine, make_sessionmaker, refusable, session_scope
from alongside.errors import Conflict, InvalidInput
from alongside.intake.service import MAX_ASSIGNMENT_REASON
from alongside.models import (
    AuditEvent,
    AuditOutcome,
    BreakGlassGrant,
    CareTeamChange,
    Client,
    Intake,
    LoginFailure,
    Role,
    User,
)
from tests.fixtures.db import fresh_database_url
from tests.fixtures.factories import PASSWORD, World
from tests.fixtures.web import sign_in

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _count(db: Session, model: type[object], *where: Any) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _failures(db: Session, user: User) -> list[int]:
    db.expire_all()
    return list(db.scalars(select(LoginFailure.failures).where(LoginFailure.user_id == user.id)))


# --- Real page actions that wrote, then refused --------------------------------------------


def test_a_new_intake_refused_after_its_new_client_was_made_leaves_no_client(
    client: TestClient, db: Session, world: World
) -> None:
    # create_intake makes the new client, then refuses a reason over the limit: the page
    # answered 422 and, before, committed the client (with no intake and no link).
    clients_before = _count(db, Client)
    csrf = sign_in(client, world.users[Role.CLINICIAN])
    refused = client.post(
        "/intakes/new",
        data={
            "csrf_token": csrf,
            "given_name": "Lior",
            "family_name": "Ben-David",
            "expires_in_days": "7",
            "reason": "x" * (MAX_ASSIGNMENT_REASON + 1),
        },
    )
    assert refused.status_code == 422
    assert f"at most {MAX_ASSIGNMENT_REASON} characters" in refused.text
    assert 'value="Lior"' in refused.text  # the page shows what it showed before
    assert _count(db, Client) == clients_before
    assert _count(db, Intake) == 0


def test_a_care_team_change_refused_after_the_client_was_read_stores_no_part_of_it(
    client: TestClient, db: Session, world: World
) -> None:
    # add_to_care_team reads the client (an audited READ, written), then refuses a clinician
    # already on the team; the page's own read of the client to show the form again stays.
    lead = world.users[Role.CLINICAL_LEAD]
    csrf = sign_in(client, lead)
    target = world.outside_client
    page = client.get(f"/care-teams/{target.id}")
    assert page.status_code == 200
    one_view = _count(
        db, AuditEvent, AuditEvent.actor_id == lead.id, AuditEvent.client_id == target.id
    )
    refused = client.post(
        f"/care-teams/{target.id}/add",
        data={
            "csrf_token": csrf,
            "clinician_id": str(world.other_clinician.id),
            "reason": "Covering while Dr Osei is on leave",
        },
    )
    assert refused.status_code == 422
    assert "already on this care team" in refused.text
    both_views = _count(
        db, AuditEvent, AuditEvent.actor_id == lead.id, AuditEvent.client_id == target.id
    )
    # Exactly the reads of showing the page again: the refused attempt left nothing.
    assert both_views == 2 * one_view
    assert _count(db, CareTeamChange, CareTeamChange.client_id == target.id) == 0


def test_an_audit_search_refused_after_its_client_search_stores_no_search_event(
    client: TestClient, db: Session, world: World
) -> None:
    # The viewer searches the clients named in its filter (an audited list), then refuses a
    # date that is not one: before, the client search was committed as if its results had
    # been shown.
    lead = world.users[Role.CLINICAL_LEAD]
    sign_in(client, lead)
    searches_before = _count(
        db, AuditEvent, AuditEvent.actor_id == lead.id, AuditEvent.resource_type == "client"
    )
    refused = client.get("/audit", params={"client": world.own_client.family_name, "to": "soon"})
    assert refused.status_code == 422
    assert "To: choose a date" in refused.text
    searches_after = _count(
        db, AuditEvent, AuditEvent.actor_id == lead.id, AuditEvent.resource_type == "client"
    )
    assert searches_after == searches_before
    assert (
        _count(db, AuditEvent, AuditEvent.actor_id == lead.id, AuditEvent.action == "search") == 0
    )


# --- What after_rollback keeps is still kept, once ------------------------------------------


def test_a_wrong_password_on_the_account_page_still_counts_towards_throttling(
    client: TestClient, db: Session, world: World
) -> None:
    # The page shows the refusal (422), so the request commits: before, session_scope dropped
    # the failure registered with after_rollback, and guessing here was never held back.
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, clinician)
    refused = client.post("/account/totp", data={"csrf_token": csrf, "password": "not it"})
    assert refused.status_code == 422
    assert "password or code is not right" in refused.text
    assert _failures(db, clinician)
    assert set(_failures(db, clinician)) == {1}


@pytest.mark.parametrize("where", ["page", "api"])
def test_a_refused_sign_in_counts_once_and_stores_nothing_else(
    client: TestClient, db: Session, world: World, where: str
) -> None:
    clinician = world.users[Role.CLINICIAN]
    email = clinician.sign_in_email
    if where == "page":
        refused = client.post("/login", data={"email": email, "password": "not it"})
    else:
        refused = client.post("/api/session", json={"email": email, "password": "not it"})
    assert refused.status_code == 401
    assert set(_failures(db, clinician)) == {1}
    # One failure holds nobody back: the right password still signs in.
    if where == "page":
        again = client.post("/login", data={"email": email, "password": PASSWORD})
        assert again.status_code == 200
    else:
        sign_in(client, clinician)


def test_a_refused_access_inside_a_page_attempt_is_audited_exactly_once(
    client: TestClient, db: Session, world: World
) -> None:
    # The care-team page lets a 404 escape: refusable stores the REFUSED event in the request,
    # the request then rolls back, and session_scope replays it - one event, not two, not none.
    lead = world.users[Role.CLINICAL_LEAD]
    csrf = sign_in(client, lead)
    foreign = world.foreign_client
    refused = client.post(
        f"/care-teams/{foreign.id}/add",
        data={
            "csrf_token": csrf,
            "clinician_id": str(world.users[Role.CLINICIAN].id),
            "reason": "Covering while Dr Osei is on leave",
        },
    )
    assert refused.status_code == 404
    events = _count(
        db,
        AuditEvent,
        AuditEvent.actor_id == lead.id,
        AuditEvent.resource_id == str(foreign.id),
        AuditEvent.outcome == AuditOutcome.REFUSED.value,
    )
    assert events == 1


def test_a_refused_emergency_access_on_the_page_is_audited_as_the_api_audits_it(
    client: TestClient, db: Session, world: World
) -> None:
    # Another organisation's client chosen on the emergency-access page: the page says it found
    # nothing (404), stores no grant, and keeps one REFUSED audit event, as the API does.
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, clinician)
    foreign = world.foreign_client
    reason = "Client rang the crisis line; their clinician is away today."
    refused = client.post(
        "/access/emergency",
        data={"csrf_token": csrf, "client_id": str(foreign.id), "reason": reason},
    )
    assert refused.status_code == 404
    assert "<form" in refused.text  # the page again, with its message
    where = (AuditEvent.actor_id == clinician.id, AuditEvent.resource_id == str(foreign.id))
    assert _count(db, AuditEvent, *where, AuditEvent.outcome == AuditOutcome.REFUSED.value) == 1
    assert _count(db, BreakGlassGrant, BreakGlassGrant.client_id == foreign.id) == 0
    # Positive control: the same page opens a client of the clinician's own organisation
    # outside their care team, and that access is audited as a success, not a refusal.
    own = world.outside_client
    opened = client.post(
        "/access/emergency",
        data={"csrf_token": csrf, "client_id": str(own.id), "reason": reason},
        follow_redirects=False,
    )
    assert opened.status_code in (200, 303), opened.text[:300]
    assert _count(db, BreakGlassGrant, BreakGlassGrant.client_id == own.id) == 1
    assert (
        _count(
            db,
            AuditEvent,
            AuditEvent.actor_id == clinician.id,
            AuditEvent.resource_id == str(own.id),
            AuditEvent.outcome == AuditOutcome.REFUSED.value,
        )
        == 0
    )


# --- The helper itself -----------------------------------------------------------------------


def _login_failure(key: str) -> LoginFailure:
    return LoginFailure(key=key, window_started_at=NOW, failures=0)


def _stored(session_factory: sessionmaker[Session], key: str) -> int:
    with session_factory() as check:
        return check.scalar(select(func.count()).where(LoginFailure.key == key)) or 0


def _keys() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:12]
    return f"test:change:{tag}", f"test:kept:{tag}"


def _attempt(
    session: Session,
    change: str,
    kept: str | None,
    error: BaseException | None = None,
) -> None:
    """Add ``change``; register ``kept`` with after_rollback; then raise ``error`` if given."""
    with refusable(session):
        session.add(_login_failure(change))
        session.flush()
        if kept is not None:
            after_rollback(session, lambda s: s.add(_login_failure(kept)))
        if error is not None:
            raise error


def test_refusable_keeps_the_writes_of_an_attempt_that_succeeds(
    session_factory: sessionmaker[Session],
) -> None:
    change, kept = _keys()
    with session_scope(session_factory) as session:
        _attempt(session, change, kept)
    assert _stored(session_factory, change) == 1
    assert _stored(session_factory, kept) == 0  # registered for a failure that never came


def test_refusable_inside_a_committed_request_stores_the_refusal_once_and_the_rest(
    session_factory: sessionmaker[Session],
) -> None:
    change, kept = _keys()
    before = f"{change}:before"
    with session_scope(session_factory) as session:
        session.add(_login_failure(before))
        with pytest.raises(Conflict):
            _attempt(session, change, kept, Conflict("refused"))
        # The refusal's write is in the request's transaction already; the change is not.
        assert session.scalar(select(func.count()).where(LoginFailure.key == kept)) == 1
        assert session.scalar(select(func.count()).where(LoginFailure.key == change)) == 0
    assert _stored(session_factory, change) == 0
    assert _stored(session_factory, kept) == 1
    assert _stored(session_factory, before) == 1


def _request_refused_then_failing(session_factory: sessionmaker[Session], keys: list[str]) -> None:
    change, kept, before, after = keys
    with session_scope(session_factory) as session:
        session.add(_login_failure(before))
        with pytest.raises(InvalidInput):
            _attempt(session, change, kept, InvalidInput("refused"))
        session.add(_login_failure(after))
        raise RuntimeError("the request fails later")


def test_refusable_in_a_request_that_fails_later_keeps_its_refusal_once(
    session_factory: sessionmaker[Session],
) -> None:
    change, kept = _keys()
    keys = [change, kept, f"{change}:before", f"{change}:after"]
    with pytest.raises(RuntimeError):
        _request_refused_then_failing(session_factory, keys)
    # The rollback took the refusal's write with it; session_scope wrote it again, once.
    assert [_stored(session_factory, key) for key in keys] == [0, 1, 0, 0]


def _nested(session: Session, change: str, kept: str) -> None:
    with refusable(session):
        with pytest.raises(InvalidInput):
            _attempt(session, f"{change}:inner", kept, InvalidInput("inner refused"))
        session.add(_login_failure(change))
        raise InvalidInput("outer refused too")


def test_nested_attempts_store_each_refusal_once(session_factory: sessionmaker[Session]) -> None:
    change, kept = _keys()
    with session_scope(session_factory) as session:
        with pytest.raises(InvalidInput):
            _nested(session, change, kept)
    assert _stored(session_factory, change) == 0
    assert _stored(session_factory, f"{change}:inner") == 0
    assert _stored(session_factory, kept) == 1


def _request_with_a_bug(session_factory: sessionmaker[Session], change: str, kept: str) -> None:
    with session_scope(session_factory) as session:
        _attempt(session, change, kept, KeyError("a bug"))


def test_an_unexpected_error_rolls_the_attempt_back_and_escapes_as_it_came(
    session_factory: sessionmaker[Session],
) -> None:
    change, kept = _keys()
    with pytest.raises(KeyError):
        _request_with_a_bug(session_factory, change, kept)
    assert _stored(session_factory, change) == 0
    assert _stored(session_factory, kept) == 1  # replayed by session_scope, once


# --- On the engine the app runs on: SAVEPOINT, ROLLBACK TO, RELEASE ------------------------


@pytest.fixture
def own_engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine made by build_engine (pysqlite without its own BEGIN, BEGIN IMMEDIATE from
    the begin listener; or PostgreSQL) on an empty database of its own, with one table."""
    for url in fresh_database_url(tmp_path, "refusable"):
        engine = build_engine(url)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE probe (name VARCHAR(40) PRIMARY KEY)"))
        yield engine
        engine.dispose()


def test_the_app_engine_emits_and_honours_savepoints(own_engine: Engine) -> None:
    statements: list[str] = []

    def seen(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.split()[0].upper() + " " + statement.split()[1].upper())

    event.listen(own_engine, "before_cursor_execute", seen)
    factory = make_sessionmaker(own_engine)

    def insert(session: Session, name: str) -> None:
        session.execute(text("INSERT INTO probe (name) VALUES (:name)"), {"name": name})

    def attempt_refused(session: Session, name: str, refusal: str) -> None:
        with refusable(session):
            insert(session, name)
            after_rollback(session, lambda s: insert(s, refusal))
            raise InvalidInput("refused")

    def failing_request() -> None:
        with session_scope(factory) as session:
            with pytest.raises(InvalidInput):
                attempt_refused(session, "refused in a failed request", "refusal, failed request")
            insert(session, "lost with the request")
            raise RuntimeError("the request fails")

    with session_scope(factory) as session:
        insert(session, "before")
        with refusable(session):
            insert(session, "kept change")
        with pytest.raises(InvalidInput):
            attempt_refused(session, "refused change", "refusal")
    with pytest.raises(RuntimeError):
        failing_request()
    event.remove(own_engine, "before_cursor_execute", seen)
    with own_engine.connect() as connection:
        names = sorted(connection.scalars(text("SELECT name FROM probe")))
    assert names == [
        "before",
        "kept change",
        "refusal",
        "refusal, failed request",
    ]
    assert "SAVEPOINT SA_SAVEPOINT_1" in statements
    assert "RELEASE SAVEPOINT" in statements
    assert "ROLLBACK TO" in statements
