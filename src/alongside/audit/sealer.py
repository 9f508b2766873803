"""The audit sealer: chain unsealed events in batches and write keyed checkpoints.

Writers never lock a shared row: :func:`alongside.audit.service.record` only inserts an
unsealed event. The sealer, like a transparency log's, gives events their place in the chain:

1. lock the head row (``audit_heads``), so sealers take turns; on PostgreSQL with
   ``FOR UPDATE SKIP LOCKED``: if another sealer holds it, this one has nothing to do;
2. read up to ``batch_size`` unsealed events in ``insert_order`` and, one by one, give each the
   next ``sequence``, the previous event's hash and its own hash, moving the head along (the
   triggers check every step);
3. commit, and return a checkpoint: the new head with an HMAC over it under a key that is not
   in the database (derived from ``ALONGSIDE_SECRET_KEY``). Operators keep checkpoints outside
   the database and pass one to ``alongside audit verify --expected-head``.

Why no grace window: on PostgreSQL, ``insert_order`` numbers can commit out of order (a
transaction that took number 10 may commit after the one that took 11). The chain's order is
the order of sealing, not ``insert_order``, so an event that commits late is simply sealed in
the next batch: nothing can be skipped, and a sealed event never needs to move. The sealer
reads only committed rows (READ COMMITTED), and holds the head lock for one batch only.

The window: an event is unsealed from its commit until the next round of the sealer, which runs
every ``audit_seal_seconds`` (2 s by default) in the worker (``alongside worker`` and the
server's own worker thread), on demand (``alongside audit seal``) and before every
``alongside audit verify``. docs/operators.md says what someone with database access can do to
events in that window.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from alongside.audit.chain import seal
from alongside.audit.service import unsealed_events
from alongside.db import session_scope
from alongside.errors import ConfigurationError
from alongside.models import AuditEvent, AuditHead
from alongside.models.audit_head import HEAD_ROW_ID

log = logging.getLogger("alongside.audit")

DEFAULT_BATCH = 500
_CHECKPOINT_CONTEXT = b"alongside audit checkpoint v1"


def checkpoint_key(secret_key: str) -> bytes:
    """The checkpoint HMAC key: derived from the instance's secret, never stored in the database."""
    return hmac.new(secret_key.encode("utf-8"), _CHECKPOINT_CONTEXT, hashlib.sha256).digest()


def checkpoint_mac(key: bytes, sequence: int, digest: str) -> str:
    """Hex HMAC-SHA256 over ``SEQUENCE:HASH``."""
    return hmac.new(key, f"{sequence}:{digest}".encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """A sealed head and its keyed MAC: what operators keep outside the database."""

    sequence: int
    hash: str
    mac: str

    def __str__(self) -> str:
        return f"{self.sequence}:{self.hash}:{self.mac}"

    def is_authentic(self, key: bytes) -> bool:
        """Whether this checkpoint was made with ``key``."""
        return hmac.compare_digest(self.mac, checkpoint_mac(key, self.sequence, self.hash))


@dataclass(frozen=True)
class SealResult:
    """What one call sealed, and the head it left (with its checkpoint)."""

    sealed: int
    checkpoint: Checkpoint


def _lock_head(session: Session, *, wait: bool) -> tuple[int, str] | None:
    """Lock the head row for this transaction; None if another sealer holds it and ``wait`` is
    false.

    One statement for both databases: PostgreSQL takes the row lock (``FOR UPDATE``, with
    ``SKIP LOCKED`` unless ``wait``); SQLite has no row locks and SQLAlchemy renders the
    statement without the clause, but the transaction began IMMEDIATE, so this process already
    holds the database's write lock and no other sealer can be at work.
    """
    row = session.execute(
        select(AuditHead.sequence, AuditHead.hash)
        .where(AuditHead.id == HEAD_ROW_ID)
        .with_for_update(skip_locked=not wait)
    ).one_or_none()
    if row is not None:
        return int(row[0]), str(row[1])
    # Skipped because another sealer holds it (PostgreSQL only), or not there at all.
    if session.scalar(select(AuditHead.id).where(AuditHead.id == HEAD_ROW_ID)) is None:
        raise _no_head()
    return None


def _no_head() -> ConfigurationError:
    return ConfigurationError(
        "The audit log has no head row. Run `alongside db upgrade` to set up the database."
    )


_EVENTS = AuditEvent.metadata.tables[AuditEvent.__tablename__]
_HEADS = AuditHead.metadata.tables[AuditHead.__tablename__]
_SEAL_EVENT = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"), _EVENTS.c.sequence.is_(None))
    .values(
        sequence=bindparam("sequence"),
        previous_hash=bindparam("previous"),
        hash=bindparam("hash"),
    )
)
_MOVE_HEAD = (
    update(_HEADS)
    .where(_HEADS.c.id == HEAD_ROW_ID)
    .values(sequence=bindparam("sequence"), hash=bindparam("hash"))
)


def seal_batch(
    session: Session, key: bytes, *, batch_size: int = DEFAULT_BATCH, wait: bool = False
) -> SealResult | None:
    """Seal up to ``batch_size`` events in the caller's transaction; None if another sealer is
    at work (unless ``wait``: then wait for it, and seal what it left). The caller commits."""
    head = _lock_head(session, wait=wait)
    if head is None:
        return None
    sequence, previous = head
    pending = unsealed_events(session, limit=batch_size)
    # Core statements on the session's connection: the ORM's bulk-update path costs several
    # times the CPU per statement, and a busy server seals every event it writes.
    connection = session.connection()
    for event_id, fields in pending:
        sequence += 1
        chained = seal(sequence, fields, previous)
        # The event first: the head may only move onto an existing event that follows it.
        connection.execute(
            _SEAL_EVENT,
            {
                "event_id": event_id,
                "sequence": sequence,
                "previous": previous,
                "hash": chained.hash,
            },
        )
        connection.execute(_MOVE_HEAD, {"sequence": sequence, "hash": chained.hash})
        previous = chained.hash
    checkpoint = Checkpoint(sequence, previous, checkpoint_mac(key, sequence, previous))
    return SealResult(len(pending), checkpoint)


def seal_pending(
    factory: sessionmaker[Session],
    key: bytes,
    *,
    batch_size: int = DEFAULT_BATCH,
    checkpoint_file: Path | None = None,
    max_batches: int = 1000,
    wait: bool = False,
) -> SealResult | None:
    """Seal everything waiting, one committed batch at a time; None if another sealer is at
    work (the worker's sealers skip a round then); with ``wait`` (on demand: the CLI), wait
    for it instead. A checkpoint line is appended to ``checkpoint_file`` (and logged) when
    anything was sealed."""
    total = 0
    last: SealResult | None = None
    for _ in range(max_batches):
        with session_scope(factory) as session:
            result = seal_batch(session, key, batch_size=batch_size, wait=wait)
        if result is None:
            break
        total += result.sealed
        last = result
        if result.sealed < batch_size:
            break
    if last is None:
        return None
    if total:
        log.info(
            "audit_sealed",
            extra={"event": "sealed", "sealed": total, "checkpoint": str(last.checkpoint)},
        )
        if checkpoint_file is not None:
            write_checkpoint(checkpoint_file, last.checkpoint)
    return SealResult(total, last.checkpoint)


def write_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Append one checkpoint line (a short append: whole lines even with several writers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="ascii") as handle:
        handle.write(f"{checkpoint}\n")


class Sealer:
    """Seals the audit log every ``interval_s`` seconds until asked to stop."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        key: bytes,
        *,
        interval_s: float = 2.0,
        checkpoint_file: Path | None = None,
    ) -> None:
        """A sealer over ``factory``."""
        self.factory = factory
        self.key = key
        self.interval_s = interval_s
        self.checkpoint_file = checkpoint_file

    def seal_once(self) -> int:
        """Seal what waits now; how many events were sealed (0 if another sealer was at it)."""
        result = seal_pending(self.factory, self.key, checkpoint_file=self.checkpoint_file)
        return 0 if result is None else result.sealed

    def run_forever(self, stop_event: threading.Event) -> None:
        """Seal, wait, repeat; a failing round (the database restarting) is logged and retried."""
        while not stop_event.is_set():
            try:
                seal_pending(self.factory, self.key, checkpoint_file=self.checkpoint_file)
            except Exception:
                log.exception("audit_seal_failed", extra={"event": "seal_failed"})
            stop_event.wait(self.interval_s)


def start_sealer_thread(sealer: Sealer, stop_event: threading.Event) -> threading.Thread:
    """Run ``sealer`` in a daemon thread until ``stop_event`` is set."""
    thread = threading.Thread(
        target=sealer.run_forever, args=(stop_event,), name="alongside-audit-sealer", daemon=True
    )
    thread.start()
    return thread
