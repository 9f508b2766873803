"""The sealer as the worker runs it: checkpoints on file, a failing round retried, a missing head
named in words. Two sealers at once are in ``test_audit_concurrency.py``."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from alongside.audit.sealer import (
    Checkpoint,
    Sealer,
    checkpoint_key,
    seal_batch,
    seal_pending,
    start_sealer_thread,
)
from alongside.audit.service import count_unsealed, record, verify_stored_chain
from alongside.errors import ConfigurationError
from alongside.models import AuditAction, AuditOutcome, AuditPurpose, Role
from tests.fixtures.factories import World

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
KEY = checkpoint_key("a test installation's secret key, long enough")


def _read(db: Session, world: World) -> None:
    record(
        db,
        actor=world.users[Role.CLINICIAN],
        action=AuditAction.READ,
        resource_type="client",
        resource_id=world.own_client.id,
        client_id=world.own_client.id,
        organization_id=world.org.id,
        purpose=AuditPurpose.TREATMENT,
        outcome=AuditOutcome.SUCCESS,
        now=T0,
    )


def _checkpoint(line: str) -> Checkpoint:
    sequence, digest, mac = line.split(":")
    return Checkpoint(int(sequence), digest, mac)


def test_each_round_that_seals_appends_an_authentic_checkpoint_line(
    db: Session, world: World, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    checkpoints = tmp_path / "checkpoints" / "audit.txt"
    sealer = Sealer(session_factory, KEY, checkpoint_file=checkpoints)
    sealer.seal_once()
    for _ in range(3):
        _read(db, world)
    db.commit()

    assert sealer.seal_once() == 3
    assert count_unsealed(db) == 0
    assert sealer.seal_once() == 0  # nothing waited: no new line
    lines = checkpoints.read_text(encoding="ascii").splitlines()
    checkpoint = _checkpoint(lines[-1])
    assert checkpoint.is_authentic(KEY)
    assert not checkpoint.is_authentic(checkpoint_key("another installation's secret key"))
    result = verify_stored_chain(db, expected_head=(checkpoint.sequence, checkpoint.hash))
    assert result.ok, result


def test_a_failing_round_is_logged_and_the_next_one_seals(
    db: Session,
    world: World,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _read(db, world)
    db.commit()
    stop = threading.Event()
    rounds: list[int] = []

    def flaky() -> Session:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise OperationalError("connect", {}, Exception("the database is restarting"))
        stop.set()  # the round under way finishes; then the loop ends
        return session_factory()

    sealer = Sealer(flaky, KEY, interval_s=0)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="alongside.audit"):
        sealer.run_forever(stop)
    assert [r.message for r in caplog.records] == ["audit_seal_failed"]
    assert len(rounds) == 2
    assert count_unsealed(db) == 0


def test_the_sealer_thread_seals_until_asked_to_stop(
    db: Session, world: World, session_factory: sessionmaker[Session]
) -> None:
    _read(db, world)
    db.commit()
    stop = threading.Event()

    def once() -> Session:
        stop.set()
        return session_factory()

    thread = start_sealer_thread(Sealer(once, KEY, interval_s=60), stop)  # type: ignore[arg-type]
    assert thread.daemon
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert count_unsealed(db) == 0


def test_a_missing_head_row_is_named_with_what_to_run(db: Session, world: World) -> None:
    _read(db, world)
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE audit_heads DISABLE TRIGGER USER"))
    else:
        db.execute(text("DROP TRIGGER audit_heads_no_delete"))
    db.execute(text("DELETE FROM audit_heads"))
    for wait in (False, True):
        with pytest.raises(ConfigurationError, match="Run `alongside db upgrade`"):
            seal_batch(db, KEY, wait=wait)


def test_seal_pending_reports_nothing_to_seal_with_the_current_head(
    session_factory: sessionmaker[Session],
) -> None:
    first = seal_pending(session_factory, KEY)
    assert first is not None
    again = seal_pending(session_factory, KEY)
    assert again is not None
    assert again.sealed == 0
    assert again.checkpoint == first.checkpoint


def test_seal_pending_commits_batch_by_batch_and_stops_at_max_batches(
    db: Session, world: World, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    seal_pending(session_factory, KEY)
    for _ in range(5):
        _read(db, world)
    db.commit()
    checkpoints = tmp_path / "audit.txt"

    result = seal_pending(
        session_factory, KEY, batch_size=2, max_batches=2, checkpoint_file=checkpoints
    )

    assert result is not None
    assert result.sealed == 4
    assert count_unsealed(db) == 1  # left for the next round
    # One line for the call, naming the head it left, which the stored chain agrees with.
    (line,) = checkpoints.read_text(encoding="ascii").splitlines()
    assert _checkpoint(line) == result.checkpoint
    verified = verify_stored_chain(
        db, expected_head=(result.checkpoint.sequence, result.checkpoint.hash)
    )
    assert verified.ok, verified
    rest = seal_pending(session_factory, KEY, batch_size=2)
    assert rest is not None
    assert rest.sealed == 1
    assert rest.checkpoint.sequence == result.checkpoint.sequence + 1
