"""Concurrent writers with real commits still produce one unbroken chain (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from alongside.audit.chain import GENESIS_HASH
from alongside.audit.sealer import checkpoint_key, seal_pending
from alongside.audit.service import count_unsealed, record, stored_head, verify_stored_chain
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.kit.time import utcnow
from alongside.migrate import upgrade
from alongside.models import AuditEvent
from tests.fixtures.db import fresh_database_url

THREADS = 8
EVENTS_PER_THREAD = 25


def writer(
    factory: sessionmaker[Session],
    start: threading.Barrier,
    errors: list[BaseException],
    number: int,
) -> None:
    """Record 25 events, each in its own committed transaction."""
    try:
        start.wait()
        for i in range(EVENTS_PER_THREAD):
            with session_scope(factory) as session:
                record(
                    session,
                    actor=None,
                    action="read",
                    resource_type="client",
                    resource_id=f"thread-{number}-{i}",
                    client_id=None,
                    organization_id=None,
                    purpose="operations",
                    outcome="success",
                    now=utcnow(),
                    request_id=f"thread-{number}",
                )
    except BaseException as error:  # reported by the test, in its own thread
        errors.append(error)


def test_eight_threads_recording_25_events_each_make_a_verified_chain_of_200(
    tmp_path: Path,
) -> None:
    for url in fresh_database_url(tmp_path, "audit_threads"):
        upgrade(url)
        engine = build_engine(url)
        factory = make_sessionmaker(engine)
        start = threading.Barrier(THREADS)
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=writer, args=(factory, start, errors, n))
            for n in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        try:
            assert errors == []
            total = THREADS * EVENTS_PER_THREAD
            with factory() as session:
                # Writers never touched the head: everything waits for the sealer.
                assert stored_head(session) == (0, GENESIS_HASH)
                assert count_unsealed(session) == total
            sealed = seal_pending(factory, checkpoint_key("test secret key, long enough"))
            assert sealed is not None
            assert sealed.sealed == total
            with factory() as session:
                result = verify_stored_chain(session)
                assert result.ok, result.describe()
                assert result.count == total
                assert stored_head(session) == result.head
                assert result.head is not None
                assert result.head[0] == total
                assert (
                    session.scalar(select(func.count(func.distinct(AuditEvent.resource_id))))
                    == total
                )
                per_thread = session.execute(
                    select(AuditEvent.request_id, func.count()).group_by(AuditEvent.request_id)
                ).all()
                assert sorted(n for _, n in per_thread) == [EVENTS_PER_THREAD] * THREADS
        finally:
            engine.dispose()


def test_a_busy_sealer_makes_the_next_skip_its_round_and_an_on_demand_one_wait(
    tmp_path: Path,
) -> None:
    for url in fresh_database_url(tmp_path, "audit_sealers"):
        upgrade(url)
        engine = build_engine(url)
        factory = make_sessionmaker(engine)
        key = checkpoint_key("test secret key, long enough")
        try:
            writer(factory, threading.Barrier(1), [], 0)
            if engine.dialect.name != "postgresql":
                pytest.skip("SQLite sealers take turns on the database's write lock")
            with engine.connect() as busy:
                # Another sealer is in the middle of a batch.
                busy.execute(text("SELECT 1 FROM audit_heads WHERE id = 1 FOR UPDATE"))
                assert seal_pending(factory, key) is None  # the worker's sealer skips
                busy.rollback()
            done = seal_pending(factory, key, wait=True)
            assert done is not None
            assert done.sealed == EVENTS_PER_THREAD
        finally:
            engine.dispose()
