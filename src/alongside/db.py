"""Database engine and the one-transaction-per-use-case session scope."""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, create_engine, event, inspect, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker
from sqlalchemy.pool import NullPool

from alongside.config import Settings
from alongside.crypto.keys import FileKeyProvider, KeyEncryptionKeyProvider
from alongside.errors import AlongsideError
from alongside.kit.files import private_dir, private_file, tighten
from alongside.models.encrypted import KEYRING_PROVIDER


@dataclass(frozen=True)
class DatabaseOptions:
    """Per-connection guard rails and pool sizes (from :class:`~alongside.config.Settings`)."""

    statement_timeout_ms: int = 30_000
    lock_timeout_ms: int = 5_000
    idle_in_transaction_timeout_ms: int = 15_000
    pool_size: int = 10
    max_overflow: int = 10
    pool_timeout_s: float = 10.0
    sqlite_busy_timeout_ms: int = 10_000

    @classmethod
    def from_settings(cls, settings: Settings) -> DatabaseOptions:
        """The options the settings describe."""
        return cls(
            statement_timeout_ms=settings.db_statement_timeout_ms,
            lock_timeout_ms=settings.db_lock_timeout_ms,
            idle_in_transaction_timeout_ms=settings.db_idle_in_transaction_timeout_ms,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout_s=settings.db_pool_timeout_seconds,
            sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        )

    def postgres_options(self) -> str:
        """The libpq ``options`` that set the timeouts on every new connection."""
        return (
            f"-c statement_timeout={self.statement_timeout_ms} "
            f"-c lock_timeout={self.lock_timeout_ms} "
            f"-c idle_in_transaction_session_timeout={self.idle_in_transaction_timeout_ms}"
        )


def _sqlite_configurer(
    busy_timeout_ms: int, database: Path | None = None
) -> Callable[[Any, Any], None]:
    def configure(dbapi_connection: Any, _record: Any) -> None:
        if database is not None:
            # The first connection creates the file: private before WAL makes its -wal and
            # -shm files (they take the database file's mode). Building the engine creates
            # nothing, so a wrong path is "not ready", never a new empty database.
            _private_sqlite_files(database, create=True)
        # Let SQLAlchemy, not the driver, start transactions, so SAVEPOINT and
        # BEGIN IMMEDIATE behave as documented (the pysqlite recipe in SQLAlchemy's docs).
        dbapi_connection.isolation_level = None
        # WAL lets readers work while a writer commits; FULL sync keeps a committed intake
        # on disk through a power cut; foreign keys are off by default in SQLite. Writers
        # queue on the busy timeout (BEGIN IMMEDIATE waits for it too), then answer 503.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return configure


class WriteTurns:
    """First come, first served turns on one SQLite file's write lock, within this process.

    SQLite's own busy handler does not queue: a waiting writer sleeps and retries, and one that
    arrives later can take the lock first. With a dozen people at once some requests then wait
    seconds while others pass. Here the threads of one process queue in arrival order for the
    lock instead, so a request waits only for those that came before it; SQLite's busy timeout
    still arbitrates with other processes (the CLI, a second server). A turn not given within
    ``timeout_s`` raises "database is locked", which the app answers with 503, as before.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: object | None = None
        self._waiting: deque[tuple[object, threading.Event]] = deque()

    def take(self, holder: object, timeout_s: float) -> None:
        """Wait for the turn of ``holder`` (a connection); raise when it does not come."""
        with self._lock:
            if self._holder is None and not self._waiting:
                self._holder = holder
                return
            called = threading.Event()
            self._waiting.append((holder, called))
        if called.wait(timeout_s):
            return
        with self._lock:
            if called.is_set():  # given the turn just as the wait ended
                return
            self._waiting.remove((holder, called))
        raise OperationalError(
            "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
        )

    def give_back(self, holder: object) -> None:
        """End ``holder``'s turn (nothing when it does not hold it) and call the next one."""
        with self._lock:
            if self._holder is not holder:
                return
            if self._waiting:
                self._holder, called = self._waiting.popleft()
                called.set()
            else:
                self._holder = None

    def holds(self, holder: object) -> bool:
        """True while ``holder`` has the turn."""
        with self._lock:
            return self._holder is holder

    def queued(self) -> int:
        """How many wait for a turn now."""
        with self._lock:
            return len(self._waiting)


_TURNS: dict[str, WriteTurns] = {}
_TURNS_LOCK = threading.Lock()


def write_turns_for(database: Path | None) -> WriteTurns:
    """The one queue of this process for ``database`` (a private one for an in-memory one)."""
    if database is None:
        return WriteTurns()
    key = str(database.resolve())
    with _TURNS_LOCK:
        return _TURNS.setdefault(key, WriteTurns())


def _take_turns(engine: Engine, turns: WriteTurns, timeout_s: float) -> None:
    def begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a transaction that reads and then writes
        # (every audited access does) can otherwise fail with "database is locked" under WAL
        # when another writer committed in between. The embedded default trades some read
        # concurrency for that; the turns make the writers wait in the order they came.
        holder = connection.connection.dbapi_connection
        turns.take(holder, timeout_s)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            turns.give_back(holder)
            raise

    def end(connection: Any) -> None:
        # Just before COMMIT or ROLLBACK: the next writer's BEGIN waits on SQLite's busy
        # handler only for the end of this one.
        turns.give_back(connection.connection.dbapi_connection)

    def dropped(dbapi_connection: Any, *_args: Any) -> None:
        # A connection returned, closed or invalidated mid-transaction never keeps the turn.
        turns.give_back(dbapi_connection)

    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", end)
    event.listen(engine, "rollback", end)
    for name in ("checkin", "close", "invalidate", "soft_invalidate", "reset"):
        event.listen(engine.pool, name, dropped)


def _private_sqlite_files(database: Path, *, create: bool) -> None:
    # SQLite creates its -wal and -shm files with the database file's mode, so a database
    # made 0600 here keeps all three private whatever the umask; older files are tightened.
    if create:
        private_file(database)
    else:
        tighten(database)
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(database.with_name(database.name + suffix))


def build_engine(url: str, options: DatabaseOptions | None = None) -> Engine:
    """Create an engine for ``url``, with SQLite set up for safe embedded use and PostgreSQL
    connections carrying statement, lock and idle-in-transaction timeouts."""
    options = options or DatabaseOptions()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database: Path | None = None
        if parsed.database and parsed.database != ":memory:":
            database = Path(parsed.database)
            private_dir(database.parent, own=False)
            _private_sqlite_files(database, create=False)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            pool_timeout=options.pool_timeout_s,
        )
        event.listen(
            engine, "connect", _sqlite_configurer(options.sqlite_busy_timeout_ms, database)
        )
        _take_turns(engine, write_turns_for(database), options.sqlite_busy_timeout_ms / 1000)
        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(
        parsed,
        pool_pre_ping=True,
        pool_size=options.pool_size,
        max_overflow=options.max_overflow,
        pool_timeout=options.pool_timeout_s,
        connect_args={"options": options.postgres_options()},
    )


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(url: str, options: DatabaseOptions | None = None) -> Engine:
    """One engine per URL for the life of the process (never evicted: an evicted engine
    would drop its pooled connections without closing them); the first caller's options."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = _ENGINES[url] = build_engine(url, options)
        return engine


def dispose_engines() -> None:
    """Close every engine :func:`get_engine` made (tests, and a clean shutdown)."""
    with _ENGINES_LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


def make_sessionmaker(
    engine: Engine, kek_provider: KeyEncryptionKeyProvider | None = None
) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit and can decrypt client fields."""
    return sessionmaker(bind=engine, expire_on_commit=False, info={KEYRING_PROVIDER: kek_provider})


def key_provider_for(settings: Settings) -> FileKeyProvider:
    """The key-encryption keys in the configured key file (created with mode 0600 if new)."""
    return FileKeyProvider(settings.effective_key_file)


def session_factory_for(settings: Settings) -> sessionmaker[Session]:
    """The one way the app, the CLI and the worker open database sessions."""
    return make_sessionmaker(
        get_engine(settings.effective_database_url, DatabaseOptions.from_settings(settings)),
        key_provider_for(settings),
    )


AFTER_ROLLBACK = "after_rollback_writes"


def after_rollback(session: Session, write: Callable[[Session], object]) -> None:
    """Keep ``write`` even if this transaction fails: it runs in a new transaction after the
    rollback (used to audit refused accesses, which answer with an error)."""
    session.info.setdefault(AFTER_ROLLBACK, []).append(write)


@contextmanager
def refusable(
    session: Session, refusals: tuple[type[BaseException], ...] = (AlongsideError,)
) -> Iterator[None]:
    """Attempt a change that may be refused, when the caller answers the refusal itself (a
    page that shows the error) instead of letting it roll the request back.

    The attempt runs in a SAVEPOINT. When one of ``refusals`` escapes, the savepoint is rolled
    back, so nothing of the refused change is stored even though the request commits; the
    :func:`after_rollback` writes registered during the attempt (the audit of a refused
    access, a counted sign-in failure) then run in the request's transaction, and the error
    is raised again for the caller to show. Those writes stay registered: if the request
    then commits, :func:`session_scope` drops the list (each write is stored once, here); if
    it fails, its rollback undoes them and :func:`session_scope` replays them (once, there).
    Any other error rolls the savepoint back and escapes as it came.
    """
    start = len(session.info.get(AFTER_ROLLBACK, ()))
    savepoint = session.begin_nested()
    try:
        yield
    except refusals:
        savepoint.rollback()
        for write in list(session.info.get(AFTER_ROLLBACK, ()))[start:]:
            write(session)
        session.flush()
        raise
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()


def commit_session(session: Session) -> None:
    """Commit a use of ``session`` that succeeded: the :func:`after_rollback` writes are not
    needed then (they were for a failure), so they are dropped first."""
    session.info.pop(AFTER_ROLLBACK, None)
    session.commit()


def finish_session(session: Session) -> None:
    """End a :func:`session_scope`-style use of ``session`` that succeeded: commit, close.

    When the commit fails, the session is rolled back and closed (as :func:`fail_session`)
    and the error escapes."""
    try:
        commit_session(session)
    except BaseException:
        fail_session(session)
        raise
    session.close()


def fail_session(session: Session) -> None:
    """End a use of ``session`` that failed: roll back, store the :func:`after_rollback`
    writes in a new transaction, close."""
    try:
        session.rollback()
        writes = session.info.pop(AFTER_ROLLBACK, [])
        if writes:
            for write in writes:
                write(session)
            session.commit()
    finally:
        session.close()


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
    except BaseException:
        fail_session(session)
        raise
    finish_session(session)


def readiness_probe(url: str) -> Callable[[], bool]:
    """A check that a fresh connection answers ``SELECT 1`` within a second (used by /readyz).

    Its own connection each time (no pool: a full pool must not make the check wait), with
    connect and statement timeouts, and no transaction (it must not queue behind a writer).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ":memory:"

        def connect_sqlite() -> Any:
            if database == ":memory:":
                return sqlite3.connect(database)
            # mode=rw: a missing file is "not ready", never a new empty database.
            uri = f"{Path(database).resolve().as_uri()}?mode=rw"
            return sqlite3.connect(uri, uri=True, timeout=0.5, isolation_level=None)

        connect: Callable[[], Any] = connect_sqlite
    else:
        parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(
            parsed,
            poolclass=NullPool,
            connect_args={"connect_timeout": 1, "options": "-c statement_timeout=800"},
        )
        connect = engine.raw_connection

    def probe() -> bool:
        try:
            connection = connect()
            try:
                cursor = connection.cursor()
                cursor.execute("SELECT 1")
                cursor.close()
            finally:
                connection.close()
        except Exception:
            return False
        return True

    return probe


TOUCH_EVERY = timedelta(seconds=60)


def touch(
    session: Session,
    column: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
    where: ColumnElement[bool],
    now: datetime,
    *,
    every: timedelta = TOUCH_EVERY,
) -> None:
    """Bookkeeping such as "last seen at": set ``column`` to ``now`` on the row ``where``
    selects, at most once per ``every``, and never wait for it.

    The UPDATE only applies when the stored time is older than ``every`` (so a busy session
    writes once a minute, not once a request). On PostgreSQL the row is picked with
    ``FOR UPDATE SKIP LOCKED``: when another request of the same session holds the row, this
    one skips the bookkeeping instead of queueing behind it. On SQLite the transaction already
    holds the database's write lock, so the update costs no extra waiting.
    """
    table = column.class_
    stale = or_(column.is_(None), column < now - every)
    target = select(*inspect(table).primary_key).where(where, stale)
    if session.get_bind().dialect.name == "postgresql":
        target = target.with_for_update(skip_locked=True)
    key = inspect(table).primary_key[0]
    session.execute(
        update(table)
        .where(key.in_(target))
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
