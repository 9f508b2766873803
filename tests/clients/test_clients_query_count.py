"""List pages run a fixed number of queries, however many clients they show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from alongside.models import Role
from tests.fixtures.factories import World, create_client
from tests.fixtures.web import sign_in


@contextmanager
def counted(connection: Connection) -> Iterator[list[str]]:
    """Collect the SQL statements sent on ``connection``."""
    statements: list[str] = []

    def before(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", before)


def _queries_for(client: TestClient, connection: Connection, path: str) -> int:
    with counted(connection) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_client_list_query_count_does_not_grow_with_clients(
    client: TestClient, world: World, db: Session, connection: Connection
) -> None:
    clinician = world.users[Role.CLINICIAN]
    sign_in(client, clinician)
    few_api = _queries_for(client, connection, "/api/clients")
    few_page = _queries_for(client, connection, "/home")
    for _ in range(15):
        create_client(db, world.org, clinicians=(clinician,))
    assert _queries_for(client, connection, "/api/clients") == few_api
    assert _queries_for(client, connection, "/home") == few_page
    # Pinned: session lookup, user, care team, break-glass grants, clients, their keys, audit.
    assert few_api <= 12, few_api


def _statements_for(client: TestClient, connection: Connection, path: str) -> list[str]:
    with counted(connection) as statements:
        answer = client.get(path)
        assert answer.status_code == 200, answer.text
    return statements


# Who is signed in and the audit trail are counted by their own tests; these pin what a list
# adds to them, so they keep holding when that bookkeeping changes.
BOOKKEEPING = (
    "user_sessions",
    "api_tokens",
    "FROM users",
    "care_teams",
    "review_assignments",
    "break_glass",
    "audit_",
)


def _list_queries(statements: list[str]) -> list[str]:
    return [s for s in statements if not any(word in s.split("WHERE")[0] for word in BOOKKEEPING)]


def _key_queries(statements: list[str]) -> int:
    return sum(1 for s in statements if "FROM client_keys" in s)


def test_each_list_page_runs_a_pinned_number_of_queries_and_one_key_query(
    client: TestClient, world: World, db: Session, connection: Connection
) -> None:
    lead = world.users[Role.CLINICAL_LEAD]
    made = [create_client(db, world.org, clinicians=(lead,)) for _ in range(60)]
    sign_in(client, lead)
    email = str(made[0].email).replace("@", "%40")
    pinned = {
        "/api/clients": 2,  # the page, its keys
        "/api/clients?q=given": 3,  # + the check for clients not yet indexed
        f"/api/clients?q={email}": 2,
        "/home": 2,
    }
    for path, expected in pinned.items():
        statements = _statements_for(client, connection, path)
        assert _key_queries(statements) == 1, path
        listed = _list_queries(statements)
        assert len(listed) == expected, (path, [" ".join(s.split())[:70] for s in listed])
    # The second page costs the same as the first.
    cursor = client.get("/api/clients").json()["next"]
    second = _statements_for(client, connection, f"/api/clients?cursor={cursor}")
    assert len(_list_queries(second)) == 2


def test_unwrapping_a_page_of_keys_checks_the_key_file_once(
    client: TestClient,
    world: World,
    db: Session,
    kek_provider: object,
    monkeypatch: object,
) -> None:
    lead = world.users[Role.CLINICAL_LEAD]
    for _ in range(30):
        create_client(db, world.org)
    loads: list[int] = []
    original = kek_provider._load  # type: ignore[attr-defined]

    def counting_load() -> object:
        loads.append(1)
        return original()

    monkeypatch.setattr(kek_provider, "_load", counting_load)  # type: ignore[attr-defined]
    sign_in(client, lead)
    loads.clear()
    answer = client.get("/api/clients")
    assert answer.status_code == 200
    assert len(answer.json()["items"]) == 32
    # One check of the file for the page's 32 keys (plus one for the cursor-signing key).
    assert len(loads) <= 2, len(loads)
