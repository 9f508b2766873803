"""Database engine and the one-transaction-per-use-case session scope."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from alongside.config import Settings
from alongside.crypto.keys import FileKeyProvider, KeyEncryptionKeyProvider
from alongside.kit.files import private_dir, private_file, tighten
from alongside.models.encrypted import KEYRING_PROVIDER


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, start transactions, so SAVEPOINT and
    # BEGIN IMMEDIATE behave as documented (the pysqlite recipe in SQLAlchemy's docs).
    dbapi_connection.isolation_level = None
    # WAL lets readers work while a writer commits; FULL sync keeps a committed intake
    # on disk through a power cut; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _begin_sqlite(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: a transaction that reads and then writes (every
    # audited access does) can otherwise fail with "database is locked" under WAL when another
    # writer committed in between. The embedded default trades some read concurrency for that.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _private_sqlite_files(database: Path) -> None:
    # SQLite creates its -wal and -shm files with the database file's mode, so a database
    # made 0600 here keeps all three private whatever the umask; older files are tightened.
    private_dir(database.parent, own=False)
    private_file(database)
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(database.with_name(database.name + suffix))


def build_engine(url: str) -> Engine:
    """Create an engine for ``url``, with SQLite set up for safe embedded use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_sqlite_files(Path(parsed.database))
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(url: str) -> Engine:
    """One engine per URL for the life of the process (never evicted: an evicted engine
    would drop its pooled connections without closing them)."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = _ENGINES[url] = build_engine(url)
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
        get_engine(settings.effective_database_url), key_provider_for(settings)
    )


AFTER_ROLLBACK = "after_rollback_writes"


def after_rollback(session: Session, write: Callable[[Session], object]) -> None:
    """Keep ``write`` even if this transaction fails: it runs in a new transaction after the
    rollback (used to audit refused accesses, which answer with an error)."""
    session.info.setdefault(AFTER_ROLLBACK, []).append(write)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.info.pop(AFTER_ROLLBACK, None)
        session.commit()
    except BaseException:
        session.rollback()
        writes = session.info.pop(AFTER_ROLLBACK, [])
        if writes:
            for write in writes:
                write(session)
            session.commit()
        raise
    finally:
        session.close()


def database_is_reachable(engine: Engine) -> bool:
    """Whether a trivial query succeeds (used by /readyz)."""
    try:
        # A raw ping: it must not queue behind a writer's lock (SQLite begins IMMEDIATE).
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        finally:
            connection.close()
    except Exception:
        return False
    return True
