"""``last_seen_at`` / ``last_used_at`` are written at most once a minute and never waited for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from alongside.accounts.service import resolve_session, start_session
from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.migrate import upgrade
from alongside.models import ApiToken, Role, UserSession
from alongside.security.tokens import create_token, resolve_token
from tests.fixtures.db import fresh_database_url
from tests.fixtures.factories import create_organization, create_staff

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
IDLE = dt.timedelta(minutes=30)
ABSOLUTE = dt.timedelta(hours=12)


def _seen(db: Session, token_hash: str) -> dt.datetime:
    db.expire_all()
    value = db.scalar(select(UserSession.last_seen_at).where(UserSession.token_hash == token_hash))
    assert value is not None
    return value


def test_last_seen_is_written_at_most_once_a_minute(db: Session) -> None:
    user = create_staff(db, create_organization(db), Role.CLINICIAN)
    tokens = start_session(db, user, T0)
    record = db.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    key = record.token_hash
    for seconds, expected in [(30, T0), (59, T0), (61, T0 + dt.timedelta(seconds=61))]:
        resolved = resolve_session(
            db,
            tokens.session_token,
            T0 + dt.timedelta(seconds=seconds),
            idle=IDLE,
            absolute=ABSOLUTE,
        )
        assert resolved is not None
        db.flush()
        assert _seen(db, key) == expected
    # The idle timeout still counts from the last write (a minute's precision at most).
    late = T0 + dt.timedelta(seconds=61) + IDLE + dt.timedelta(seconds=1)
    assert resolve_session(db, tokens.session_token, late, idle=IDLE, absolute=ABSOLUTE) is None


def test_token_last_used_is_written_at_most_once_a_minute(db: Session) -> None:
    user = create_staff(db, create_organization(db), Role.CLINICIAN)
    secret, token = create_token(db, user, name="export", scopes=["client.read"], now=T0)
    assert token.last_used_at is None

    def used() -> dt.datetime | None:
        db.expire_all()
        return db.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token.id))

    assert resolve_token(db, secret, T0) is not None
    assert used() == T0  # never used: written at once
    assert resolve_token(db, secret, T0 + dt.timedelta(seconds=45)) is not None
    assert used() == T0
    assert resolve_token(db, secret, T0 + dt.timedelta(seconds=75)) is not None
    assert used() == T0 + dt.timedelta(seconds=75)


@pytest.fixture
def committed_engine(tmp_path: Path) -> Iterator[Engine]:
    """A database of its own whose rows other connections can see and lock."""
    for url in fresh_database_url(tmp_path, "bookkeeping"):
        upgrade(url)
        engine = build_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def test_a_request_never_waits_for_another_holding_the_session_row(
    committed_engine: Engine, kek_provider: FileKeyProvider
) -> None:
    if committed_engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; the write lock covers the bookkeeping")
    factory = make_sessionmaker(committed_engine, kek_provider=kek_provider)
    with session_scope(factory) as db:
        user = create_staff(db, create_organization(db), Role.CLINICIAN)
        tokens = start_session(db, user, T0)
        key = db.scalars(select(UserSession.token_hash)).one()
    later = T0 + dt.timedelta(minutes=5)
    with committed_engine.connect() as holder:
        # Another request of the same session holds the row (e.g. in the middle of its own
        # bookkeeping), and keeps holding it.
        holder.execute(
            text("SELECT 1 FROM user_sessions WHERE token_hash = :h FOR UPDATE"), {"h": key}
        )
        with factory() as db:
            # Were the request to wait for the row, this would fail after 200 ms.
            db.execute(text("SET LOCAL lock_timeout = '200ms'"))
            resolved = resolve_session(
                db, tokens.session_token, later, idle=IDLE, absolute=ABSOLUTE
            )
            assert resolved is not None
            db.commit()
        holder.rollback()
    with factory() as db:
        assert _seen(db, key) == T0  # skipped this time; the next request writes it
        assert resolve_session(db, tokens.session_token, later, idle=IDLE, absolute=ABSOLUTE)
        db.commit()
        assert _seen(db, key) == later


def test_positive_control_a_plain_update_would_wait_for_the_row(
    committed_engine: Engine, kek_provider: FileKeyProvider
) -> None:
    if committed_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL row locks")
    from sqlalchemy.exc import OperationalError

    factory = make_sessionmaker(committed_engine, kek_provider=kek_provider)
    with session_scope(factory) as db:
        user = create_staff(db, create_organization(db), Role.CLINICIAN)
        start_session(db, user, T0)
        key = db.scalars(select(UserSession.token_hash)).one()
    with committed_engine.connect() as holder:
        holder.execute(
            text("SELECT 1 FROM user_sessions WHERE token_hash = :h FOR UPDATE"), {"h": key}
        )
        with factory() as db:
            db.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                db.execute(
                    text("UPDATE user_sessions SET last_seen_at = now() WHERE token_hash = :h"),
                    {"h": key},
                )
        holder.rollback()
