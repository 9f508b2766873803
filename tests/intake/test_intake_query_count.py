"""The client's intake runs a pinned number of SQL statements per page (issue 10).

A regression guard on counts, never on time (bench/intake_load.py measures time). Each page reads
the intake, its organisation, its consents and responses and the client's wrapped data key in one
query, and every later decision of the request (what is done, which page comes next, whether
consent was given) is made from what that query read. Before this, a whole intake took 108
statements here (5 to 8 per page, 17 on submit); now 41.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from bench.intake_flow import run_intake
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from alongside.intake import service
from alongside.kit.time import utcnow
from alongside.models import Role
from tests.fixtures.factories import World

# The most statements each kind of request may run (today's figure in the comment); savepoints
# that tests use in place of transactions are not counted.
PINNED = {
    # one query; an audited read of saved answers adds one INSERT (today 1 or 2)
    "GET consent": 2,
    "GET questions": 2,
    "GET words": 2,
    "GET review": 2,
    # one query, then the writes: intake, consents or response, audit event (today 3 or 4)
    "POST consent": 5,
    "POST questions": 5,
    "POST words": 5,
    # one query, the later consent, the ruleset; then the compare-and-set, scores, reading,
    # proposal and two audit events (today 9)
    "POST submit": 10,
}
WHOLE_INTAKE = 45  # today 41, in 14 requests


@contextmanager
def _per_request(client: TestClient, connection: Connection) -> Iterator[list[tuple[str, int]]]:
    """(method and page, statements) for each request the client makes in the block."""
    counted: list[tuple[str, int]] = []
    statements: list[str] = []

    def before(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    def started(_request: httpx.Request) -> None:
        statements.clear()

    def answered(response: httpx.Response) -> None:
        parts = response.request.url.path.split("/")
        page = parts[3] if len(parts) > 3 else "consent"
        counted.append((f"{response.request.method} {page}", len(statements)))

    event.listen(connection, "before_cursor_execute", before)
    client.follow_redirects = False
    client.event_hooks = {"request": [started], "response": [answered]}
    try:
        yield counted
    finally:
        client.event_hooks = {"request": [], "response": []}
        event.remove(connection, "before_cursor_execute", before)


def test_each_intake_page_runs_its_pinned_number_of_statements(
    client: TestClient, db: Session, world: World, connection: Connection
) -> None:
    created = service.create_intake(
        db, actor=world.users[Role.CLINICIAN], client_id=world.own_client.id, now=utcnow()
    )
    db.commit()
    with _per_request(client, connection) as counted:
        result = run_intake(client, created.path)
    assert result.finished, result.error
    kinds = Counter(kind for kind, _ in counted)
    # The flow the benchmark drives: every page seen, the C-SSRS in two parts.
    assert len(counted) == 14, counted
    assert set(kinds) == set(PINNED), kinds
    over = [(kind, count) for kind, count in counted if count > PINNED[kind]]
    assert over == [], f"pages over their pinned statement count: {over} (all: {counted})"
    total = sum(count for _, count in counted)
    assert total <= WHOLE_INTAKE, f"{total} statements for a whole intake: {counted}"
