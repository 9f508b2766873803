"""The request's session: routes of ``CommitsInRouteThread`` commit in their own thread.

The intake pages commit at the end of the endpoint's threadpool thread, so that ``get_db``
needs no second hop to the threadpool; a refusal or failure still rolls back and keeps the
after-rollback writes, as ``session_scope`` does.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alongside import deps
from alongside.db import after_rollback
from alongside.deps import CommitsInRouteThread, DbSession
from alongside.errors import AlongsideError, Conflict
from alongside.models import LoginFailure

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


async def _refused(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AlongsideError)
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code)


def _toy(session_factory: sessionmaker[Session]) -> tuple[FastAPI, str]:
    tag = uuid.uuid4().hex[:12]
    router = APIRouter(route_class=CommitsInRouteThread)

    @router.post("/stores")
    def stores(db: DbSession) -> dict[str, str]:
        db.add(LoginFailure(key=f"{tag}:stored", window_started_at=NOW, failures=0))
        return {"ok": "yes"}

    @router.post("/refuses")
    def refuses(db: DbSession) -> dict[str, str]:
        db.add(LoginFailure(key=f"{tag}:refused", window_started_at=NOW, failures=0))
        after_rollback(
            db, lambda s: s.add(LoginFailure(key=f"{tag}:kept", window_started_at=NOW, failures=0))
        )
        raise Conflict("refused")

    toy = FastAPI()
    toy.state.sessionmaker = session_factory
    toy.add_exception_handler(AlongsideError, _refused)
    toy.include_router(router)
    return toy, tag


def _stored(session_factory: sessionmaker[Session], key: str) -> int:
    with session_factory() as check:
        return check.scalar(select(func.count()).where(LoginFailure.key == key)) or 0


def test_a_route_that_commits_in_its_thread_stores_without_a_second_hop(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    hops: list[str] = []
    monkeypatch.setattr(deps, "finish_session", lambda session: hops.append("finish"))
    toy, tag = _toy(session_factory)
    with TestClient(toy) as client:
        assert client.post("/stores").status_code == 200
    assert _stored(session_factory, f"{tag}:stored") == 1
    assert hops == []  # committed in the route's thread; get_db only closed the session


def test_a_refusal_in_such_a_route_rolls_back_and_keeps_its_after_rollback_write(
    session_factory: sessionmaker[Session],
) -> None:
    toy, tag = _toy(session_factory)
    with TestClient(toy) as client:
        assert client.post("/refuses").status_code == 409
    assert _stored(session_factory, f"{tag}:refused") == 0
    assert _stored(session_factory, f"{tag}:kept") == 1
