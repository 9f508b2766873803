"""No blocking work on the event loop: every route and dependency that touches the database or
files is a plain ``def`` (run in the threadpool).

Two checks, each with a positive control:

- a static walk over ``app.routes`` and each route's dependency tree: an ``async def`` endpoint
  or dependency may not take a database session (directly or through ``get_db``) nor call
  blocking database or file functions in its body;
- a runtime guard (``tests.fixtures.db.event_loop_guard``, installed on every test's
  connection) that records any SQL statement executed on a thread running an event loop.
"""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from alongside.deps import DbSession
from tests.fixtures.event_loop import EventLoopGuard, blocking_async_handlers


def test_no_async_route_or_dependency_of_the_app_does_blocking_work(app: FastAPI) -> None:
    assert blocking_async_handlers(app) == []


def test_the_walk_covers_the_apps_routes_and_nested_dependencies(app: FastAPI) -> None:
    # Negative control for the walk itself: it reaches the CSRF reader nested inside
    # current_signed_in (an async dependency that is allowed because it does no database work).
    from tests.fixtures.event_loop import walk_handlers

    names = {getattr(call, "__name__", "") for call, _ in walk_handlers(app)}
    assert {"current_signed_in", "_form_csrf", "posted_form", "intake_consent"} <= names


async def bad_dependency(request: Request) -> str:
    """A deliberately bad dependency: a query on the event loop."""
    factory = request.app.state.sessionmaker
    with factory() as session:
        return str(session.execute(text("SELECT 1")).scalar_one())


def _toy_app() -> FastAPI:
    toy = FastAPI()

    @toy.get("/bad-session")
    async def bad_session(db: DbSession) -> dict[str, int]:
        return {"one": int(db.execute(text("SELECT 1")).scalar_one())}

    @toy.get("/bad-dependency")
    def uses_bad_dependency(value: Annotated[str, Depends(bad_dependency)]) -> dict[str, str]:
        return {"value": value}

    @toy.get("/bad-file")
    async def bad_file() -> dict[str, str]:
        with open(__file__, encoding="utf-8") as handle:
            return {"first": handle.readline()}

    @toy.get("/fine")
    async def fine(request: Request) -> dict[str, str]:
        form = await request.form()
        return {"fields": str(len(form))}

    @toy.get("/fine-sync")
    def fine_sync(db: DbSession) -> dict[str, int]:
        return {"one": int(db.execute(text("SELECT 1")).scalar_one())}

    return toy


def test_positive_control_the_static_walk_catches_bad_toy_routes() -> None:
    found = blocking_async_handlers(_toy_app())
    flagged = {entry.split(" ")[0] for entry in found}
    assert flagged == {"bad_session", "bad_dependency", "bad_file"}, found


def test_positive_control_the_runtime_guard_catches_sql_on_the_event_loop(
    engine: Engine,
) -> None:
    # Its own connection: the guard every test's connection carries would (rightly) fail this
    # test for the deliberate violation below.
    connection = engine.connect()
    toy = FastAPI()
    toy.state.sessionmaker = sessionmaker(bind=connection)

    @toy.get("/async")
    async def on_the_loop(request: Request) -> dict[str, int]:
        session: Session = request.app.state.sessionmaker()
        try:
            return {"one": int(session.execute(text("SELECT 1")).scalar_one())}
        finally:
            session.close()

    @toy.get("/sync")
    def in_the_threadpool(request: Request) -> dict[str, int]:
        session: Session = request.app.state.sessionmaker()
        try:
            return {"one": int(session.execute(text("SELECT 1")).scalar_one())}
        finally:
            session.close()

    guard = EventLoopGuard()
    guard.install(connection)
    try:
        with TestClient(toy) as client:
            assert client.get("/sync").json() == {"one": 1}
            assert guard.violations == []
            assert client.get("/async").json() == {"one": 1}
    finally:
        guard.remove(connection)
        connection.close()
    assert "SELECT 1" in guard.violations


@pytest.mark.parametrize(
    "path",
    ["/intake/x/consent", "/intake/x/words", "/intake/x/questions/phq9", "/intakes/new"],
)
def test_intake_form_posts_are_plain_def(app: FastAPI, path: str) -> None:
    # The pages named in the bug report: their handlers run in the threadpool now.
    import inspect

    from tests.fixtures.event_loop import api_routes

    route = next(r for r in api_routes(app) if "POST" in r.methods and r.path_regex.match(path))
    assert not inspect.iscoroutinefunction(route.endpoint)
