"""`alongside audit verify` on a real database: intact, then every kind of tampering.

Each tampering first drops (SQLite) or disables (PostgreSQL) the guard triggers in a scratch
database, as someone with the table owner's rights could.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from alongside.audit.chain import seal
from alongside.audit.cli import _sqlite_reader_begin, parse_head, reader_engine
from alongside.audit.sealer import checkpoint_key, checkpoint_mac, seal_pending
from alongside.audit.service import iter_stored_chain, record
from alongside.cli import app
from alongside.config import Settings
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.kit.time import utcnow
from alongside.migrate import upgrade
from tests.fixtures.db import fresh_database_url

runner = CliRunner()
EVENTS = 10
SQLITE_GUARDS = (
    "audit_events_seal_only",
    "audit_events_no_delete",
    "audit_events_append_only",
    "audit_heads_no_delete",
    "audit_heads_forward_only",
)
KEY = checkpoint_key(Settings().secret_key)


def seed(engine: Engine, count: int, start: int = 0, *, sealed: bool = True) -> None:
    """Record ``count`` events (each in its own transaction), then seal them as the worker
    does."""
    factory = make_sessionmaker(engine)
    for i in range(start, start + count):
        with session_scope(factory) as session:
            record(
                session,
                actor=None,
                action="read" if i % 2 else "update",
                resource_type="client",
                resource_id=str(uuid.UUID(int=i + 1)),
                client_id=uuid.UUID(int=i % 3 + 1),
                organization_id=uuid.UUID(int=99),
                purpose="treatment",
                outcome="success",
                now=utcnow(),
                request_id=f"req-{i}",
            )
    if sealed:
        seal_pending(factory, KEY)


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated scratch database holding a chain of ten events; the CLI reads it."""
    for url in fresh_database_url(tmp_path, "audit_cli"):
        upgrade(url)
        monkeypatch.setenv("ALONGSIDE_DATABASE_URL", url)
        engine = build_engine(url)
        seed(engine, EVENTS)
        try:
            yield engine
        finally:
            engine.dispose()


def drop_guards(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        conn.execute(text("ALTER TABLE audit_heads DISABLE TRIGGER USER"))
    else:
        for name in SQLITE_GUARDS:
            conn.execute(text(f"DROP TRIGGER {name}"))


def tamper(engine: Engine, *statements: str, **params: object) -> None:
    with engine.begin() as conn:
        drop_guards(conn)
        for statement in statements:
            conn.execute(text(statement), params)


def head_of(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT sequence, hash FROM audit_heads")).one()
    return int(row[0]), str(row[1])


def hash_of(engine: Engine, sequence: int) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT hash FROM audit_events WHERE sequence = :s"), {"s": sequence}
            ).scalar_one()
        )


def verify(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["audit", "verify", *args])
    return result.exit_code, result.stdout, result.stderr


def test_an_intact_chain_exits_0_with_the_count_and_head(scratch: Engine) -> None:
    code, out, err = verify()
    sequence, digest = head_of(scratch)
    assert (code, err) == (0, "")
    assert f"Audit chain intact: {EVENTS} events, head {EVENTS} {digest}." in out
    assert f"--expected-head {sequence}:{digest}" in out
    # The head printed now, passed back later, still matches.
    seed(scratch, 3, start=EVENTS)
    assert verify("--expected-head", f"{sequence}:{digest}")[0] == 0


TAMPERINGS: dict[str, tuple[Callable[[Engine], None], int, str]] = {
    "changed field": (
        lambda e: tamper(e, "UPDATE audit_events SET actor_name = 'Nobody' WHERE sequence = 4"),
        4,
        "changed",
    ),
    "changed purpose": (
        lambda e: tamper(e, "UPDATE audit_events SET purpose = 'emergency' WHERE sequence = 7"),
        7,
        "changed",
    ),
    "deleted event": (
        lambda e: tamper(e, "DELETE FROM audit_events WHERE sequence = 4"),
        4,
        "missing",
    ),
    "swapped events": (
        lambda e: tamper(
            e,
            "UPDATE audit_events SET sequence = 1000 WHERE sequence = 4",
            "UPDATE audit_events SET sequence = 4 WHERE sequence = 5",
            "UPDATE audit_events SET sequence = 5 WHERE sequence = 1000",
        ),
        4,
        "previous_hash",
    ),
    "truncated tail": (
        lambda e: tamper(e, "DELETE FROM audit_events WHERE sequence > 7"),
        8,
        "truncated",
    ),
    "badly forged event appended": (
        lambda e: tamper(
            e,
            "INSERT INTO audit_events (id, insert_order, sequence, occurred_at, actor_role, "
            "actor_name, action, resource_type, purpose, outcome, previous_hash, hash) "
            "SELECT :id, insert_order + 1000, 11, occurred_at, actor_role, actor_name, action, "
            "resource_type, purpose, outcome, hash, hash FROM audit_events WHERE sequence = 10",
            id=uuid.uuid4().hex,
        ),
        11,
        "changed",
    ),
    "head rewritten": (
        lambda e: tamper(e, "UPDATE audit_heads SET hash = :h", h="e" * 64),
        10,
        "differs from the one recorded in the audit head",
    ),
    "head row deleted": (
        lambda e: tamper(e, "DELETE FROM audit_heads"),
        11,
        "head row is missing",
    ),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_tampering_exits_1_naming_the_first_broken_event(scratch: Engine, name: str) -> None:
    apply, broken_at, why = TAMPERINGS[name]
    apply(scratch)
    code, out, err = verify()
    assert code == 1, out
    assert out.startswith(f"Audit chain broken at event {broken_at}: "), out
    assert why in out
    assert err == ""


def test_an_event_inserted_in_the_middle_with_renumbering_is_found(scratch: Engine) -> None:
    # A forger shifts events 5..10 up by one and seals a new event 5 onto event 4.
    with Session(scratch) as session:
        fourth = next(e for e in iter_stored_chain(session) if e.sequence == 4)
    forged = seal(5, {**fourth.fields, "id": uuid.uuid4(), "actor_name": "Forger"}, fourth.hash)
    tamper(
        scratch,
        "UPDATE audit_events SET sequence = sequence + 1000 WHERE sequence >= 5",
        "UPDATE audit_events SET sequence = sequence - 999 WHERE sequence >= 1000",
        "INSERT INTO audit_events (id, insert_order, sequence, occurred_at, actor_role, "
        "actor_name, action, resource_type, resource_id, client_id, organization_id, purpose, "
        "outcome, request_id, previous_hash, hash) SELECT :id, insert_order + 1000, 5, "
        "occurred_at, actor_role, 'Forger', action, "
        "resource_type, resource_id, client_id, organization_id, purpose, outcome, request_id, "
        ":prev, :hash FROM audit_events WHERE sequence = 4",
        id=forged.fields["id"].hex,
        prev=forged.previous_hash,
        hash=forged.hash,
    )
    code, out, _ = verify()
    assert code == 1
    # Event 5 is a well-formed forgery; the old event 5, now numbered 6, no longer fits.
    assert out.startswith("Audit chain broken at event 6: ")


def test_a_well_sealed_event_appended_behind_record_is_found_by_the_head(
    scratch: Engine,
) -> None:
    with Session(scratch) as session:
        tenth = list(iter_stored_chain(session))[-1]
    forged = seal(11, {**tenth.fields, "id": uuid.uuid4()}, tenth.hash)
    tamper(
        scratch,
        "INSERT INTO audit_events (id, insert_order, sequence, occurred_at, actor_role, "
        "actor_name, action, resource_type, resource_id, client_id, organization_id, purpose, "
        "outcome, request_id, previous_hash, hash) SELECT :id, insert_order + 1000, 11, "
        "occurred_at, actor_role, actor_name, action, "
        "resource_type, resource_id, client_id, organization_id, purpose, outcome, request_id, "
        ":prev, :hash FROM audit_events WHERE sequence = 10",
        id=forged.fields["id"].hex,
        prev=forged.previous_hash,
        hash=forged.hash,
    )
    code, out, _ = verify()
    assert code == 1
    assert out.startswith("Audit chain broken at event 11: it follows the recorded audit head")


def test_truncation_with_the_head_rolled_back_needs_the_head_kept_outside(
    scratch: Engine,
) -> None:
    kept = head_of(scratch)
    seven = hash_of(scratch, 7)
    tamper(
        scratch,
        "DELETE FROM audit_events WHERE sequence > 7",
        "UPDATE audit_heads SET sequence = 7, hash = :h",
        h=seven,
    )
    # The database alone now looks consistent: the documented limit.
    assert verify()[0] == 0
    code, out, _ = verify("--expected-head", f"{kept[0]}:{kept[1]}")
    assert code == 1
    assert out.startswith("Audit chain broken at event 8: ")
    assert "truncated" in out


def test_a_rewritten_and_resealed_chain_is_found_against_the_kept_head(scratch: Engine) -> None:
    kept = head_of(scratch)
    with Session(scratch) as session:
        events = list(iter_stored_chain(session))
    previous = events[2].hash
    with scratch.begin() as conn:
        drop_guards(conn)
        for event in events[3:]:
            fields = dict(event.fields)
            if event.sequence == 4:
                fields["actor_name"] = "Somebody else"
            resealed = seal(event.sequence, fields, previous)
            previous = resealed.hash
            conn.execute(
                text(
                    "UPDATE audit_events SET actor_name = :name, previous_hash = :prev, "
                    "hash = :hash WHERE sequence = :seq"
                ),
                {
                    "name": fields["actor_name"],
                    "prev": resealed.previous_hash,
                    "hash": resealed.hash,
                    "seq": event.sequence,
                },
            )
        conn.execute(text("UPDATE audit_heads SET hash = :head"), {"head": previous})
    assert verify()[0] == 0
    code, out, _ = verify("--expected-head", f"{kept[0]}:{kept[1]}")
    assert code == 1
    assert out.startswith(f"Audit chain broken at event {EVENTS}: ")
    assert "kept outside the database" in out


@pytest.mark.parametrize("bad", ["10", "x:" + "a" * 64, "10:" + "a" * 63, "0:" + "a" * 64])
def test_a_malformed_expected_head_exits_2(bad: str, scratch: Engine) -> None:
    code, out, err = verify("--expected-head", bad)
    assert (code, out) == (2, "")
    assert "SEQUENCE:HASH" in err


def test_parse_head_accepts_what_verify_prints() -> None:
    assert parse_head("12:" + "AB" * 32) == (12, "ab" * 32)


def test_data_dir_and_an_unmigrated_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALONGSIDE_DATABASE_URL", raising=False)
    code, out, err = verify("--data-dir", str(tmp_path / "empty"))
    assert (code, out) == (2, "")
    assert "alongside db upgrade" in err
    data = tmp_path / "clinic"
    assert runner.invoke(app, ["db", "upgrade", "--data-dir", str(data)]).exit_code == 0
    code, out, _ = verify("--data-dir", str(data))
    assert (code, out.strip()) == (0, "Audit chain intact: no events.")
    engine = build_engine(f"sqlite:///{data / 'alongside.sqlite3'}")
    try:
        seed(engine, 3)
    finally:
        engine.dispose()
    code, out, _ = verify("--data-dir", str(data))
    assert code == 0
    assert "intact: 3 events" in out


def test_verification_on_sqlite_never_holds_the_write_lock(scratch: Engine) -> None:
    if scratch.dialect.name != "sqlite":
        pytest.skip("PostgreSQL readers never block writers")
    database = scratch.url.database
    assert database is not None
    reader = reader_engine(scratch.url.render_as_string(hide_password=False))
    try:
        with Session(reader) as session:
            events = iter_stored_chain(session)
            assert next(events).sequence == 1  # a read transaction is now open
            probe = sqlite3.connect(database, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")  # would fail at once if the reader held it
                probe.execute("ROLLBACK")
            finally:
                probe.close()
            seed(scratch, 1, start=EVENTS)  # the application records meanwhile
            # The reader keeps its snapshot: the new event is not half-seen.
            assert [e.sequence for e in events] == list(range(2, EVENTS + 1))
            events.close()
    finally:
        reader.dispose()
    assert verify()[0] == 0


def test_verify_seals_waiting_events_first_and_prints_a_keyed_checkpoint(scratch: Engine) -> None:
    seed(scratch, 4, start=EVENTS, sealed=False)
    assert head_of(scratch)[0] == EVENTS  # four events wait for the sealer
    code, out, _ = verify()
    sequence, digest = head_of(scratch)
    assert code == 0
    assert sequence == EVENTS + 4
    assert f"intact: {EVENTS + 4} events" in out
    mac = checkpoint_mac(KEY, sequence, digest)
    assert f"--expected-head {sequence}:{digest}:{mac}" in out
    assert verify("--expected-head", f"{sequence}:{digest}:{mac}")[0] == 0


def test_a_checkpoint_with_a_forged_mac_is_refused(scratch: Engine) -> None:
    sequence, digest = head_of(scratch)
    good = checkpoint_mac(KEY, sequence, digest)
    other_key = checkpoint_key("another installation's secret key, 32+ chars")
    for mac in (
        checkpoint_mac(other_key, sequence, digest),
        checkpoint_mac(KEY, sequence, "0" * 64),
    ):
        assert mac != good
        code, out, err = verify("--expected-head", f"{sequence}:{digest}:{mac}")
        assert (code, out) == (2, "")
        assert "secret key" in err


def test_verify_no_seal_only_reads(scratch: Engine) -> None:
    seed(scratch, 2, start=EVENTS, sealed=False)
    code, out, _ = verify("--no-seal")
    assert code == 0
    assert f"intact: {EVENTS} events" in out
    assert "2 newer event(s) are not sealed yet" in out
    assert head_of(scratch)[0] == EVENTS


def test_audit_seal_prints_the_checkpoint_and_appends_it_to_the_file(
    scratch: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoints = tmp_path / "kept" / "checkpoints.log"
    monkeypatch.setenv("ALONGSIDE_AUDIT_CHECKPOINT_FILE", str(checkpoints))
    seed(scratch, 3, start=EVENTS, sealed=False)
    result = runner.invoke(app, ["audit", "seal"])
    sequence, digest = head_of(scratch)
    line = f"{sequence}:{digest}:{checkpoint_mac(KEY, sequence, digest)}"
    assert result.exit_code == 0, result.stderr
    assert "Sealed 3 event(s)." in result.stdout
    assert line in result.stdout
    assert checkpoints.read_text(encoding="ascii").splitlines() == [line]
    # Nothing waiting: nothing sealed, no new line.
    again = runner.invoke(app, ["audit", "seal"])
    assert "Sealed 0 event(s)." in again.stdout
    assert checkpoints.read_text(encoding="ascii").splitlines() == [line]


def test_audit_seal_on_an_empty_log_seals_nothing_and_prints_no_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for url in fresh_database_url(tmp_path, "audit_cli_new"):
        upgrade(url)
        monkeypatch.setenv("ALONGSIDE_DATABASE_URL", url)
        result = runner.invoke(app, ["audit", "seal"])
        assert result.exit_code == 0, result.stderr
        # Nothing has been sealed yet: there is no head worth keeping outside the database.
        assert result.stdout == "Sealed 0 event(s).\n"


def test_the_reader_on_postgresql_is_the_applications_engine() -> None:
    # Only SQLite needs a reader that begins deferred; no connection is opened here.
    reader = reader_engine("postgresql://reader@127.0.0.1:1/alongside")
    try:
        assert reader.dialect.driver == "psycopg"
        assert not event.contains(reader, "begin", _sqlite_reader_begin)
    finally:
        reader.dispose()


def test_the_demo_data_dir_is_found_and_a_missing_database_is_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALONGSIDE_DATABASE_URL", raising=False)
    empty = tmp_path / "nothing-here"
    code, _, err = verify("--data-dir", str(empty))
    assert code == 2
    assert "no database" in err
    assert not empty.exists()
    demo_dir = tmp_path / "demo"
    assert runner.invoke(app, ["demo", "--seed-only", "--data-dir", str(demo_dir)]).exit_code == 0
    code, out, err = verify("--data-dir", str(demo_dir))
    assert (code, err) == (0, ""), out
    assert "Audit chain intact" in out
    assert not (demo_dir / "alongside.sqlite3").exists()


@pytest.fixture
def unmigrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database that exists but was never migrated (no audit tables)."""
    for url in fresh_database_url(tmp_path, "audit_cli_empty"):
        if url.startswith("sqlite"):
            sqlite3.connect(url.removeprefix("sqlite:///")).close()
        monkeypatch.setenv("ALONGSIDE_DATABASE_URL", url)
        yield url


@pytest.mark.parametrize("command", [["audit", "seal"], ["audit", "verify"]])
def test_a_database_never_migrated_is_answered_in_words(
    unmigrated: str, command: list[str]
) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.stdout
    assert "cannot read the audit log from the database" in result.stderr
    assert "alongside db upgrade" in result.stderr


def test_settings_that_do_not_validate_are_answered_in_words(
    scratch: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALONGSIDE_BREAK_GLASS_MINUTES", "an hour")
    result = runner.invoke(app, ["audit", "seal"])
    assert result.exit_code == 2
    assert "break_glass_minutes" in result.stderr
