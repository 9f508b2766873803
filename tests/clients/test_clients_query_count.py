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
