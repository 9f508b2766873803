"""The stored audit log: record one chained event per access, read it back, verify it.

API (stable: every service that touches client data calls :func:`record`)
-----------------------------------------------------------------------------
- :func:`record` ``(session, *, actor, action, resource_type, resource_id, client_id,
  organization_id, purpose, outcome, now, request_id=None) -> AuditEvent``: writes exactly one
  event in the caller's transaction (it never commits). The event is inserted *unsealed*; the
  sealer (:mod:`alongside.audit.sealer`) chains it within seconds.

  - ``actor``: the :class:`~alongside.models.User` acting, or ``None`` for Alongside itself
    (the worker, a scheduled job). Staff are recorded by name and role as clients will see them
    in their access log; a client acting on their own record is recorded as "the client", not
    by name, because audit rows are kept after erasure and must hold no client PHI.
  - ``action``, ``purpose``, ``outcome``: :class:`~alongside.models.AuditAction`,
    :class:`~alongside.models.AuditPurpose`, :class:`~alongside.models.AuditOutcome` or their
    string values (an unknown value raises ``ValueError``: the access log must be able to word
    every event).
  - ``resource_type``: a short snake_case noun (``client``, ``intake``, ``note``...);
    ``resource_id``: its id (UUID or text, at most 128 characters) or ``None``.
  - ``client_id``: whose record it is (``None`` when no client is involved);
    ``organization_id``: the tenant (``None`` only when unknown, e.g. a refused sign-in).
  - ``now``: timezone-aware; ``request_id`` defaults to
    :func:`alongside.kit.context.current_request_id`.

  Record refusals too (``outcome=AuditOutcome.REFUSED``). An event written in a transaction
  that is then rolled back disappears with it, so a refusal that answers with an error is
  recorded through :func:`alongside.db.after_rollback` (it runs in a new transaction after the
  rollback; see :func:`search_events`).
- :func:`iter_stored_chain` ``(session, *, batch_size=1000) -> Iterator[ChainedEvent]``: the
  sealed events in chain order, streamed (server-side cursor on PostgreSQL).
- :func:`verify_stored_chain` ``(session, *, expected_head=None, expected_count=None) ->
  VerifyResult``: :func:`alongside.audit.chain.verify_chain` over the sealed events, then a
  comparison with the head row in ``audit_heads``.
- :func:`search_events` and :func:`client_access_log`: the clinical lead's view (FHIR export)
  and a client's own access log, newest first in the order events were written (sealed or
  not); both are themselves audited. Whoever may not use them gets
  :class:`~alongside.errors.NotFound` with :data:`NOT_FOUND`, the app's answer for an address
  that does not exist.

Order and concurrency: :func:`record` is one INSERT and reads nothing, so audited requests never
wait on each other for the log (the old design locked one head row per event). ``insert_order``
comes from a PostgreSQL sequence; on SQLite the INSERT computes the next number under the
write lock the transaction already holds. The chain's order is decided by the sealer.

What the database enforces (triggers in migrations ``c4a1d7e0a5d1`` and ``0011_audit_sealer``):
events cannot be deleted (nor truncated on PostgreSQL); an insert must be unsealed; the only
update allowed seals an unsealed event once, as the event after the head, with every other
column unchanged; the head row cannot be deleted and only moves forward by one, onto the event
that follows it.

What verification detects, and its limits:

- a changed, deleted, inserted, duplicated or reordered event, and any renumbering: the chain
  itself (sequence gaps and repeats, ``previous_hash`` links, each event's hash);
- a truncated tail: the head row records a later event than the last one stored;
- events sealed behind the sealer's back: they lie after the head row;
- an unsealed event has no hash yet: someone able to write the database can add events (as
  anyone recording can), and someone able to drop the triggers can change or delete an event
  until it is sealed, within ``audit_seal_seconds`` of its commit (docs/operators.md);
- a rewrite that also recomputes every later hash **and** moves the head row to match needs the
  triggers dropped first (a table owner or superuser). Only a head kept outside the database
  catches that: pass the head printed by an earlier verification as ``expected_head`` (the CLI's
  ``--expected-head``), and keep those heads somewhere the database's owner cannot reach
  (printed, e-mailed, in another system's log).
- On PostgreSQL the application's database role must not own these tables: an owner can drop
  the triggers, and ``REVOKE`` does not apply to owners.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, String, func, insert, select, type_coerce
from sqlalchemy.orm import Session, make_transient_to_detached

from alongside.audit.chain import GENESIS_HASH, ChainedEvent, VerifyResult, verify_chain
from alongside.audit.wording import AccessLogEntry, describe_for_client
from alongside.db import after_rollback
from alongside.errors import InvalidInput, NotFound
from alongside.kit.context import current_request_id
from alongside.kit.keyset import CursorCodec, Page, check_limit
from alongside.models import (
    AuditAction,
    AuditEvent,
    AuditHead,
    AuditOutcome,
    AuditPurpose,
    Organization,
    User,
)
from alongside.models.audit_event import HASHED_COLUMNS, SYSTEM_ROLE
from alongside.models.audit_head import HEAD_ROW_ID
from alongside.models.base import new_id
from alongside.models.encrypted import page_cursor_key
from alongside.models.user import Role
from alongside.security.permissions import Action, role_allows

__all__ = [
    "CLIENT_ACTOR_NAME",
    "NOT_FOUND",
    "SYSTEM_ACTOR_NAME",
    "AccessLog",
    "AuditAction",
    "AuditOutcome",
    "AuditPurpose",
    "can_read_audit",
    "client_access_log",
    "iter_stored_chain",
    "record",
    "search_events",
    "stored_head",
    "verify_stored_chain",
]

# The app's answer for an unknown address, so a feature the actor may not use cannot be told
# apart from one that does not exist (alongside.app answers 404 with the same words).
NOT_FOUND = "There is nothing at this address. Check the link, or go back to your home page."
SYSTEM_ACTOR_NAME = "Alongside"
CLIENT_ACTOR_NAME = "The client"
MAX_RESOURCE_ID = 128
MAX_ACTOR_NAME = 200
MAX_REQUEST_ID = 64


def _actor_columns(actor: User | None) -> tuple[uuid.UUID | None, str, str]:
    if actor is None:
        return None, SYSTEM_ROLE, SYSTEM_ACTOR_NAME
    role = Role(actor.role)
    if role is Role.CLIENT:
        return actor.id, role.value, CLIENT_ACTOR_NAME
    return actor.id, role.value, actor.display_name[:MAX_ACTOR_NAME]


def event_fields(event: AuditEvent) -> dict[str, object]:
    """The fields of a stored event that its hash covers (besides its sequence)."""
    return {name: getattr(event, name) for name in HASHED_COLUMNS}


def record(
    session: Session,
    *,
    actor: User | None,
    action: AuditAction | str,
    resource_type: str,
    resource_id: uuid.UUID | str | None,
    client_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    purpose: AuditPurpose | str,
    outcome: AuditOutcome | str,
    now: datetime,
    request_id: str | None = None,
) -> AuditEvent:
    """Write one audit event, chained to the previous one, in the caller's transaction."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("audit times must be timezone-aware")
    if not resource_type:
        raise ValueError("an audit event needs a resource type")
    resource = None if resource_id is None else str(resource_id)
    if resource is not None and len(resource) > MAX_RESOURCE_ID:
        raise ValueError(f"resource ids are at most {MAX_RESOURCE_ID} characters")
    request = request_id if request_id is not None else current_request_id()
    actor_id, actor_role, actor_name = _actor_columns(actor)
    values: dict[str, Any] = {
        "id": new_id(),
        "occurred_at": now.astimezone(UTC),
        "actor_id": actor_id,
        "actor_role": actor_role,
        "actor_name": actor_name,
        "action": AuditAction(action).value,
        "resource_type": resource_type,
        "resource_id": resource,
        "client_id": client_id,
        "organization_id": organization_id,
        "purpose": AuditPurpose(purpose).value,
        "outcome": AuditOutcome(outcome).value,
        "request_id": None if request is None else request[:MAX_REQUEST_ID],
    }
    # The caller's pending changes first, as before (a save and its event in one flush).
    session.flush()
    connection = session.connection()
    insert_event = _INSERT_EVENT[connection.dialect.name == "postgresql"]
    # No head to lock and no hash to compute: the sealer chains the event within seconds.
    # A Core INSERT, not the ORM's unit of work: every audited request writes one or more,
    # and the unit of work cost several times the CPU of the statement itself.
    insert_order = connection.execute(insert_event, values).scalar_one()
    # The caller gets the stored event, attached to the session as if it had been loaded.
    event = AuditEvent(
        **values, insert_order=insert_order, sequence=None, previous_hash=None, hash=None
    )
    make_transient_to_detached(event)
    session.add(event)
    return event


_EVENTS_TABLE = AuditEvent.metadata.tables[AuditEvent.__tablename__]
# By dialect, PostgreSQL or not: PostgreSQL numbers events from its sequence; SQLite has no
# sequences, and its writers take turns (one write lock), so the next number computed inside
# the INSERT is unique and never reused by a concurrent writer.
_INSERT_EVENT = {
    True: insert(_EVENTS_TABLE).returning(_EVENTS_TABLE.c.insert_order),
    False: insert(_EVENTS_TABLE)
    .values(
        insert_order=select(
            func.coalesce(func.max(_EVENTS_TABLE.c.insert_order), 0) + 1
        ).scalar_subquery()
    )
    .returning(_EVENTS_TABLE.c.insert_order),
}


def stored_head(session: Session) -> tuple[int, str] | None:
    """The head row (sequence, hash); ``(0, GENESIS_HASH)`` when empty; None when missing."""
    row = session.execute(
        select(AuditHead.sequence, AuditHead.hash).where(AuditHead.id == HEAD_ROW_ID)
    ).one_or_none()
    return None if row is None else (int(row[0]), str(row[1]))


_UUID_COLUMNS = frozenset({"id", "actor_id", "client_id", "organization_id"})
_TIME_COLUMNS = frozenset({"occurred_at"})


def _stored_uuid(value: object) -> object:
    # SQLite keeps a UUID as 32 hex digits; its canonical form (what was sealed) is str(UUID).
    # Slicing is a third of the cost of building a UUID object, and a million events add up.
    if type(value) is str and len(value) == 32:
        v = value.lower()
        return f"{v[:8]}-{v[8:12]}-{v[12:16]}-{v[16:20]}-{v[20:]}"
    if type(value) is str:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return value  # not a UUID: it will not match the hash, and verify says so
    return value  # None, or a UUID from a driver that returns them (PostgreSQL)


def _stored_time(value: object) -> object:
    # SQLite keeps UTC times as "YYYY-MM-DD HH:MM:SS.ffffff"; the canonical form of the sealed
    # datetime is the same instant as "YYYY-MM-DDTHH:MM:SS.ffffffZ".
    if type(value) is str:
        if len(value) == 26 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}Z"
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value  # not a time: it will not match the hash, and verify says so
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return value  # an aware datetime from PostgreSQL


def _hashed_column_reads() -> list[Any]:
    # UUID and time columns are read as the database stores them and converted in
    # _canonical_fields rather than through the column types: the same values, at a fraction
    # of the cost per event.
    return [
        type_coerce(getattr(AuditEvent, name), String)
        if name in _UUID_COLUMNS | _TIME_COLUMNS
        else getattr(AuditEvent, name)
        for name in HASHED_COLUMNS
    ]


_UUID_POSITIONS = [i for i, name in enumerate(HASHED_COLUMNS) if name in _UUID_COLUMNS]
_TIME_POSITIONS = [i for i, name in enumerate(HASHED_COLUMNS) if name in _TIME_COLUMNS]


def _canonical_fields(stored: Sequence[object]) -> dict[str, object]:
    """An event's hashed fields in the canonical form they are sealed in and verified in."""
    values = list(stored)
    for i in _UUID_POSITIONS:
        if values[i] is not None:
            values[i] = _stored_uuid(values[i])
    for i in _TIME_POSITIONS:
        values[i] = _stored_time(values[i])
    return dict(zip(HASHED_COLUMNS, values, strict=True))


def iter_stored_chain(
    session: Session, *, batch_size: int = 1000
) -> Generator[ChainedEvent, None, None]:
    """The sealed events in chain order, streamed in batches (constant memory).

    Each event's fields come back in the canonical form they were sealed in. Events not
    sealed yet have no place in the chain and are not part of it.
    """
    statement = (
        select(
            AuditEvent.sequence,
            AuditEvent.previous_hash,
            AuditEvent.hash,
            *_hashed_column_reads(),
        )
        .where(AuditEvent.sequence.is_not(None))
        .order_by(AuditEvent.sequence)
        .execution_options(yield_per=batch_size)
    )
    rows = session.execute(statement)
    try:
        for row in rows:
            yield ChainedEvent(row[0], _canonical_fields(row[3:]), row[1], row[2])
    finally:
        # Close the server-side cursor even when the reader stops at a broken event.
        rows.close()


def unsealed_events(session: Session, *, limit: int) -> list[tuple[uuid.UUID, dict[str, object]]]:
    """Up to ``limit`` events not sealed yet, oldest first: their ids and canonical fields."""
    rows = session.execute(
        select(*_hashed_column_reads())
        .where(AuditEvent.sequence.is_(None))
        .order_by(AuditEvent.insert_order)
        .limit(limit)
    ).all()
    pending = []
    for row in rows:
        fields = _canonical_fields(row)
        pending.append((uuid.UUID(str(fields["id"])), fields))
    return pending


def count_unsealed(session: Session) -> int:
    """How many events wait for the sealer."""
    return int(
        session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.sequence.is_(None))
        )
        or 0
    )


def verify_stored_chain(
    session: Session,
    *,
    expected_head: tuple[int, str] | None = None,
    expected_count: int | None = None,
    batch_size: int = 1000,
) -> VerifyResult:
    """Verify the stored chain and its head row; name the first broken event and why."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        # One snapshot for the head row and the whole stream, or events committed while we
        # read would look like tampering.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    head = stored_head(session)
    events = iter_stored_chain(session, batch_size=batch_size)
    try:
        result = verify_chain(events, expected_head=expected_head, expected_count=expected_count)
    finally:
        events.close()
    if not result.ok:
        return result
    last_sequence, last_hash = result.head or (0, GENESIS_HASH)
    if head is None:
        return VerifyResult(
            result.count,
            result.head,
            last_sequence + 1,
            "the audit head row is missing (deleted with the triggers dropped)",
        )
    head_sequence, head_hash = head
    if head_sequence > last_sequence:
        return VerifyResult(
            result.count,
            result.head,
            last_sequence + 1,
            f"the chain ends at event {last_sequence} but the audit head records event "
            f"{head_sequence} (truncated)",
        )
    if head_sequence < last_sequence:
        return VerifyResult(
            result.count,
            result.head,
            head_sequence + 1,
            f"it follows the recorded audit head (event {head_sequence}): events were appended "
            "without moving the head, or the head was moved back",
        )
    if head_hash != last_hash:
        return VerifyResult(
            result.count,
            result.head,
            last_sequence,
            "its hash differs from the one recorded in the audit head (the chain was rewritten)",
        )
    return result


def can_read_audit(actor: User) -> bool:
    """Whether the actor may read the organisation's audit events (``audit.read``)."""
    return role_allows(actor.role, Action.AUDIT_READ)


def search_events(
    session: Session,
    actor: User,
    *,
    client_id: uuid.UUID | None,
    limit: int | None = None,
    cursor: str | None = None,
    now: datetime,
    client_ids: frozenset[uuid.UUID] | None = None,
    actor_id: uuid.UUID | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEvent]:
    """A page of the organisation's events (for one client if given, or any of
    ``client_ids``; by one person, of one action, between ``since`` and ``until``), newest
    first, audited; NotFound if refused. The cursor continues below the page's oldest
    sequence number, for the same filters only.

    A refusal is audited too, in its own transaction after the request's is rolled back.
    """
    size = check_limit(limit)

    def audit(target: Session, outcome: AuditOutcome) -> None:
        record(
            target,
            actor=actor,
            action=AuditAction.SEARCH,
            resource_type="audit_event",
            resource_id=None,
            client_id=client_id,
            organization_id=actor.organization_id,
            purpose=AuditPurpose.OPERATIONS,
            outcome=outcome,
            now=now,
        )

    if not can_read_audit(actor):
        after_rollback(session, lambda target: audit(target, AuditOutcome.REFUSED))
        raise NotFound(NOT_FOUND)
    query = select(AuditEvent).where(AuditEvent.organization_id == actor.organization_id)
    if client_id is not None:
        query = query.where(AuditEvent.client_id == client_id)
    if client_ids is not None:
        query = query.where(AuditEvent.client_id.in_(client_ids))
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    codec = CursorCodec(page_cursor_key(session))
    scope = f"audit-events/{client_id or ''}"
    filters = (sorted(map(str, client_ids)) if client_ids is not None else None, actor_id, action)
    if any(f is not None for f in (*filters, since, until)):
        digest = hashlib.sha256(repr((*filters, since, until)).encode("utf-8")).hexdigest()[:16]
        scope = f"{scope}/{digest}"
    if cursor:
        (below,) = codec.decode(scope, cursor, (int,))
        query = query.where(AuditEvent.insert_order < below)
    events = list(session.scalars(query.order_by(AuditEvent.insert_order.desc()).limit(size + 1)))
    more = len(events) > size
    events = events[:size]
    # Recorded after the query, so an export does not list its own search.
    audit(session, AuditOutcome.SUCCESS)
    following = codec.encode(scope, (events[-1].insert_order,)) if more else None
    return Page(items=events, next=following)


@dataclass(frozen=True)
class AccessLog:
    """One page of a client's access log, newest first."""

    entries: list[AccessLogEntry]
    total: int
    offset: int
    limit: int
    include_own: bool
    timezone: str


def _client_events(client_user: User, *, include_own: bool) -> Select[AuditEvent]:
    query = select(AuditEvent).where(
        AuditEvent.client_id == client_user.client_id,
        AuditEvent.organization_id == client_user.organization_id,
    )
    if not include_own:
        # The client's own actions (including each look at this log) would bury the staff's.
        query = query.where(
            (AuditEvent.actor_id.is_(None)) | (AuditEvent.actor_id != client_user.id)
        )
    return query


def client_access_log(
    session: Session,
    actor: User,
    *,
    include_own: bool,
    offset: int,
    limit: int,
    now: datetime,
) -> AccessLog:
    """Who looked at the actor's own record, when, why and what; NotFound unless a client.

    Reading the log is itself recorded (action ``read``, resource ``access_log``).
    """
    if not role_allows(actor.role, Action.ACCESS_LOG_READ) or actor.client_id is None:
        raise NotFound(NOT_FOUND)
    if offset < 0 or not 1 <= limit <= 500:
        raise InvalidInput("offset must be 0 or more and limit between 1 and 500")
    record(
        session,
        actor=actor,
        action=AuditAction.READ,
        resource_type="access_log",
        resource_id=actor.client_id,
        client_id=actor.client_id,
        organization_id=actor.organization_id,
        purpose=AuditPurpose.CLIENT_ACCESS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    query = _client_events(actor, include_own=include_own)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    events = session.scalars(
        query.order_by(AuditEvent.insert_order.desc()).offset(offset).limit(limit)
    ).all()
    entries = [
        describe_for_client(
            occurred_at=e.occurred_at,
            actor_is_viewer=e.actor_id == actor.id,
            actor_name=e.actor_name,
            actor_role=e.actor_role,
            action=e.action,
            resource_type=e.resource_type,
            purpose=e.purpose,
            outcome=e.outcome,
        )
        for e in events
    ]
    organization = session.get(Organization, actor.organization_id)
    timezone = organization.timezone if organization is not None else "UTC"
    return AccessLog(entries, int(total), offset, limit, include_own, timezone)
