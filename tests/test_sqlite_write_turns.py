"""SQLite writers of one process take turns in the order they came (alongside.db.WriteTurns).

SQLite's busy handler alone does not queue: a waiting writer sleeps and retries, and a later
one can take the lock first, so with a dozen people at once some requests waited seconds
(tests/test_concurrency.py printed 2.0-2.4 s for a consent page before, 0.2-0.3 s after).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from alongside.db import WriteTurns, build_engine, write_turns_for


def _engine(path: Path, busy_timeout_ms: int = 10_000) -> Engine:
    from alongside.db import DatabaseOptions

    engine = build_engine(
        f"sqlite:///{path}", DatabaseOptions(sqlite_busy_timeout_ms=busy_timeout_ms)
    )
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS turns (who INTEGER)"))
    return engine


def _wait_for(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_writers_get_the_write_lock_in_the_order_they_asked(tmp_path: Path) -> None:
    database = tmp_path / "turns.sqlite3"
    engine = _engine(database)
    turns = write_turns_for(database)
    order: list[int] = []

    def write(who: int) -> None:
        with engine.begin() as connection:
            order.append(who)
            connection.execute(text("INSERT INTO turns VALUES (:who)"), {"who": who})

    try:
        with engine.begin() as holding:
            holding.execute(text("INSERT INTO turns VALUES (0)"))
            threads = []
            for who in range(1, 9):
                thread = threading.Thread(target=write, args=(who,))
                thread.start()
                threads.append(thread)
                _wait_for(lambda n=who: turns.queued() == n)
            assert order == []  # all of them wait while the first one writes
        for thread in threads:
            thread.join(10)
        assert order == list(range(1, 9))
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT who FROM turns ORDER BY rowid")).scalars()
            assert list(stored) == list(range(9))
        assert turns.queued() == 0
    finally:
        engine.dispose()


def test_a_turn_that_does_not_come_in_time_is_database_is_locked_and_leaves_the_queue(
    tmp_path: Path,
) -> None:
    database = tmp_path / "late.sqlite3"
    engine = _engine(database, busy_timeout_ms=100)
    turns = write_turns_for(database)
    try:
        with engine.begin() as holding:
            holding.execute(text("INSERT INTO turns VALUES (1)"))
            started = time.monotonic()
            with pytest.raises(OperationalError, match="database is locked"):
                with engine.begin() as late:
                    late.execute(text("INSERT INTO turns VALUES (2)"))
            assert time.monotonic() - started >= 0.09
            assert turns.queued() == 0
        # The one that gave up is not called later: the next writer goes straight in.
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO turns VALUES (3)"))
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT who FROM turns ORDER BY rowid")).scalars()
            assert list(stored) == [1, 3]
    finally:
        engine.dispose()


@pytest.mark.parametrize("ending", ["session closed", "connection invalidated", "rolled back"])
def test_a_transaction_that_ends_without_commit_gives_its_turn_back(
    tmp_path: Path, ending: str
) -> None:
    database = tmp_path / "ends.sqlite3"
    engine = _engine(database, busy_timeout_ms=2_000)
    turns = write_turns_for(database)
    try:
        if ending == "session closed":
            session = Session(engine)
            session.execute(text("INSERT INTO turns VALUES (1)"))
            assert turns.queued() == 0
            session.close()
        else:
            connection = engine.connect()
            connection.begin()
            connection.execute(text("INSERT INTO turns VALUES (1)"))
            if ending == "connection invalidated":
                connection.invalidate()  # the pool closes it: SQLite drops its write lock
                assert turns.queued() == 0
            else:
                connection.rollback()
                connection.close()
        # Without the turn given back this would wait the whole busy timeout and fail.
        started = time.monotonic()
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO turns VALUES (2)"))
        assert time.monotonic() - started < 1.0
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT who FROM turns")).scalars()
            assert list(stored) == [2]
    finally:
        engine.dispose()


def test_two_engines_on_one_file_share_one_queue_and_other_processes_still_wait(
    tmp_path: Path,
) -> None:
    database = tmp_path / "shared.sqlite3"
    first, second = _engine(database), _engine(database, busy_timeout_ms=100)
    assert write_turns_for(database) is write_turns_for(tmp_path / "." / "shared.sqlite3")
    assert write_turns_for(tmp_path / "other.sqlite3") is not write_turns_for(database)
    try:
        with first.begin() as holding:
            holding.execute(text("INSERT INTO turns VALUES (1)"))
            with pytest.raises(OperationalError, match="database is locked"):
                with second.begin():
                    pass
        # A writer outside this process (the CLI, another server) is met by SQLite's own busy
        # timeout, as before: the queue is per process.
        outside = sqlite3.connect(database, isolation_level=None)
        try:
            outside.execute("BEGIN IMMEDIATE")
            with pytest.raises(OperationalError, match="database is locked"):
                with second.begin():
                    pass
            outside.execute("ROLLBACK")
        finally:
            outside.close()
        with second.begin() as connection:
            connection.execute(text("INSERT INTO turns VALUES (2)"))
    finally:
        first.dispose()
        second.dispose()


def test_the_queue_itself_serves_in_order_and_ignores_strangers() -> None:
    turns = WriteTurns()
    a, b, c = object(), object(), object()
    turns.take(a, 1)
    got: list[object] = []
    for queued, who in enumerate((b, c), start=1):
        threading.Thread(target=lambda w=who: (turns.take(w, 5), got.append(w))).start()
        _wait_for(lambda n=queued: turns.queued() == n)
    turns.give_back(c)  # not its turn: nothing happens
    assert turns.holds(a)
    assert turns.queued() == 2
    turns.give_back(a)
    _wait_for(lambda: got == [b])
    assert turns.holds(b)
    turns.give_back(b)
    _wait_for(lambda: got == [b, c])
    turns.give_back(c)
    assert not turns.holds(c)
    assert turns.queued() == 0
