"""record(): one chained event per call, in the caller's transaction; the database refuses edits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from alongside.audit.chain import GENESIS_HASH, chained_content, event_hash
from alongside.audit.sealer import checkpoint_key, seal_batch
from alongside.audit.service import (
    CLIENT_ACTOR_NAME,
    SYSTEM_ACTOR_NAME,
    _stored_time,
    _stored_uuid,
    client_access_log,
    count_unsealed,
    event_fields,
    record,
    search_events,
    stored_head,
    verify_stored_chain,
)
from alongside.errors import InvalidInput, NotFound
from alongside.kit.context import request_id_var
from alongside.models import AuditAction, AuditEvent, AuditOutcome, AuditPurpose, Role
from tests.fixtures.factories import World

T0 = dt.datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=dt.UTC)
KEY = checkpoint_key("a test installation's secret key, long enough")


def record_read(db: Session, world: World, role: Role = Role.CLINICIAN, **overrides: object):
    values: dict[str, object] = {
        "actor": world.users[role],
        "action": AuditAction.READ,
        "resource_type": "client",
        "resource_id": world.own_client.id,
        "client_id": world.own_client.id,
        "organization_id": world.org.id,
        "purpose": AuditPurpose.TREATMENT,
        "outcome": AuditOutcome.SUCCESS,
        "now": T0,
    }
    values.update(overrides)
    return record(db, **values)  # type: ignore[arg-type]


@pytest.fixture
def request_id() -> Iterator[str]:
    token = request_id_var.set("req-audit-test-1")
    try:
        yield "req-audit-test-1"
    finally:
        request_id_var.reset(token)


def seal(db: Session) -> int:
    """Seal what waits, as the worker does, inside the test's transaction."""
    result = seal_batch(db, KEY)
    assert result is not None
    db.expire_all()
    return result.sealed


def test_record_writes_one_unsealed_event_and_the_sealer_chains_it(
    db: Session, world: World
) -> None:
    before = stored_head(db)
    assert before is not None
    count_before = db.scalar(select(func.count()).select_from(AuditEvent))

    first = record_read(db, world)
    second = record_read(db, world, action="list", resource_id=None)
    db.flush()

    assert db.scalar(select(func.count()).select_from(AuditEvent)) == count_before + 2
    # Written unsealed, in order, without touching the head.
    assert (first.sequence, first.previous_hash, first.hash) == (None, None, None)
    assert second.insert_order > first.insert_order
    assert stored_head(db) == before
    assert count_unsealed(db) == 2

    assert seal(db) == 2
    assert count_unsealed(db) == 0
    assert first.sequence == before[0] + 1
    assert first.previous_hash == before[1]
    assert second.sequence == first.sequence + 1
    assert second.previous_hash == first.hash
    assert stored_head(db) == (second.sequence, second.hash)
    # The hash covers every recorded field and the sequence number.
    assert first.hash == event_hash(
        chained_content(first.sequence, event_fields(first)), first.previous_hash
    )
    assert verify_stored_chain(db).ok


def test_record_keeps_who_what_why_and_when(db: Session, world: World, request_id: str) -> None:
    clinician = world.users[Role.CLINICIAN]
    event = record_read(db, world, now=T0.astimezone(dt.timezone(dt.timedelta(hours=-5))))
    db.expire_all()
    stored = db.get(AuditEvent, event.id)
    assert stored is not None
    assert stored.occurred_at == T0
    assert stored.occurred_at.tzinfo is not None
    assert (stored.actor_id, stored.actor_role, stored.actor_name) == (
        clinician.id,
        "clinician",
        clinician.display_name,
    )
    assert (stored.action, stored.resource_type, stored.resource_id) == (
        "read",
        "client",
        str(world.own_client.id),
    )
    assert (stored.client_id, stored.organization_id) == (world.own_client.id, world.org.id)
    assert (stored.purpose, stored.outcome) == ("treatment", "success")
    # The request id comes from the request context unless given.
    assert stored.request_id == request_id
    explicit = record_read(db, world, request_id="req-explicit-2")
    assert explicit.request_id == "req-explicit-2"


def test_the_system_and_clients_are_recorded_without_client_names(
    db: Session, world: World
) -> None:
    system = record_read(db, world, actor=None, action="create", purpose="operations")
    assert (system.actor_id, system.actor_role, system.actor_name) == (
        None,
        "system",
        SYSTEM_ACTOR_NAME,
    )
    own = record_read(db, world, role=Role.CLIENT, purpose="client_access")
    assert (own.actor_id, own.actor_role, own.actor_name) == (
        world.client_user.id,
        "client",
        CLIENT_ACTOR_NAME,
    )
    assert world.client_user.display_name not in own.actor_name
    assert verify_stored_chain(db).ok


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"action": "peek"}, "peek"),
        ({"purpose": "curiosity"}, "curiosity"),
        ({"outcome": "maybe"}, "maybe"),
        ({"now": dt.datetime(2026, 3, 2, 9, 30)}, "timezone-aware"),  # noqa: DTZ001 - on purpose
        ({"resource_type": ""}, "resource type"),
        ({"resource_id": "x" * 129}, "128"),
    ],
)
def test_record_refuses_what_the_log_could_not_word(
    db: Session, world: World, overrides: dict[str, object], message: str
) -> None:
    head = stored_head(db)
    with pytest.raises(ValueError, match=message):
        record_read(db, world, **overrides)
    assert stored_head(db) == head


def _refused(db: Session, statement: str, **params: object) -> str:
    """Run a statement that the database must refuse; return its error text."""
    with pytest.raises(DBAPIError) as caught, db.begin_nested():
        db.execute(text(statement), params)
    return str(caught.value.orig)


def test_update_and_delete_of_audit_events_are_refused(db: Session, world: World) -> None:
    waiting = record_read(db, world)
    db.flush()
    # Not even the sealer's columns of an unsealed event, unless as the next in the chain, nor
    # any other column of it.
    assert "append-only" in _refused(
        db, "UPDATE audit_events SET actor_name = 'Someone else' WHERE id = :i", i=_id(db, waiting)
    )
    assert "append-only" in _refused(
        db,
        "UPDATE audit_events SET sequence = 999999, previous_hash = :h, hash = :h, "
        "purpose = 'emergency' WHERE id = :i",
        h="a" * 64,
        i=_id(db, waiting),
    )
    assert "does not extend the audit head" in _refused(
        db,
        "UPDATE audit_events SET sequence = 999999, previous_hash = :h, hash = :h WHERE id = :i",
        h="a" * 64,
        i=_id(db, waiting),
    )
    assert "append-only" in _refused(
        db, "DELETE FROM audit_events WHERE id = :i", i=_id(db, waiting)
    )
    seal(db)
    event = waiting
    assert "append-only" in _refused(
        db,
        "UPDATE audit_events SET actor_name = 'Someone else' WHERE sequence = :s",
        s=event.sequence,
    )
    assert "append-only" in _refused(db, "UPDATE audit_events SET outcome = 'refused'")
    assert "append-only" in _refused(
        db, "DELETE FROM audit_events WHERE sequence = :s", s=event.sequence
    )
    assert "append-only" in _refused(db, "DELETE FROM audit_events")
    db.expire_all()
    assert db.get(AuditEvent, event.id) is not None
    assert verify_stored_chain(db).ok


def test_inserts_must_be_unsealed_and_the_head_only_moves_forward(
    db: Session, world: World
) -> None:
    first = record_read(db, world)
    second = record_read(db, world)
    seal(db)
    insert = (
        "INSERT INTO audit_events (id, insert_order, sequence, occurred_at, actor_role, "
        "actor_name, action, resource_type, purpose, outcome, previous_hash, hash) VALUES "
        "(:id, 99999999, :seq, :at, 'clinician', 'Forger', 'read', 'client', 'treatment', "
        "'success', :prev, :hash)"
    )
    at = T0.isoformat() if db.get_bind().dialect.name == "postgresql" else "2026-03-02 09:30:15"
    forged = {"id": uuid.uuid4().hex, "at": at, "hash": "f" * 64}
    # Sealed on arrival: into the middle of the chain, at its end, past it, with a wrong
    # link: all refused. Only the sealer chains events.
    assert first.sequence is not None
    assert second.sequence is not None
    for seq, prev in [
        (first.sequence, first.previous_hash),
        (second.sequence + 1, second.hash),
        (second.sequence + 5, second.hash),
        (second.sequence + 1, first.hash),
    ]:
        error = _refused(db, insert, seq=seq, prev=prev, **forged)
        assert "written unsealed" in error
    # The head cannot be deleted, rolled back, or moved to an event that does not exist.
    assert "append-only" in _refused(db, "DELETE FROM audit_heads")
    assert "forward" in _refused(
        db, "UPDATE audit_heads SET sequence = :s, hash = :h", s=first.sequence, h=first.hash
    )
    assert "forward" in _refused(
        db, "UPDATE audit_heads SET sequence = sequence + 1, hash = :h", h="e" * 64
    )
    assert "forward" in _refused(db, "UPDATE audit_heads SET hash = :h", h=GENESIS_HASH)
    assert stored_head(db) == (second.sequence, second.hash)
    assert verify_stored_chain(db).ok


def test_a_rolled_back_transaction_leaves_no_event_and_no_head_change(
    db: Session, world: World
) -> None:
    head = stored_head(db)
    nested = db.begin_nested()
    record_read(db, world)
    db.flush()
    nested.rollback()
    assert count_unsealed(db) == 0
    event = record_read(db, world)
    seal(db)
    assert head is not None
    # A rolled-back event may leave a gap in insert_order, never in the chain.
    assert event.sequence == head[0] + 1
    assert verify_stored_chain(db).ok


def test_sealing_follows_insert_order_and_a_late_commit_is_sealed_next(
    db: Session, world: World
) -> None:
    head = stored_head(db)
    assert head is not None
    early = record_read(db, world)
    seal(db)
    late = record_read(db, world)
    later = record_read(db, world)
    assert seal(db) == 2
    assert (early.sequence, late.sequence, later.sequence) == (
        head[0] + 1,
        head[0] + 2,
        head[0] + 3,
    )
    assert later.previous_hash == late.hash
    assert verify_stored_chain(db).ok


def _id(db: Session, event: AuditEvent) -> str:
    # The id as the database stores it (SQLite: 32 hex digits).
    return event.id.hex if db.get_bind().dialect.name == "sqlite" else str(event.id)


@pytest.mark.parametrize(
    ("stored", "canonical"),
    [
        # SQLite's 32 hex digits, any case, read back as the UUID that was sealed.
        ("0123456789ABCDEF0123456789abcdef", "01234567-89ab-cdef-0123-456789abcdef"),
        # Written with dashes or braces by hand: still the same UUID.
        ("{01234567-89AB-CDEF-0123-456789ABCDEF}", "01234567-89ab-cdef-0123-456789abcdef"),
        # Not a UUID at all: kept as it is, so it cannot match the sealed hash.
        ("not-a-uuid", "not-a-uuid"),
        (uuid.UUID(int=7), uuid.UUID(int=7)),
    ],
)
def test_stored_ids_read_back_in_the_form_they_were_sealed_in(
    stored: object, canonical: object
) -> None:
    assert _stored_uuid(stored) == canonical


@pytest.mark.parametrize(
    ("stored", "canonical"),
    [
        ("2026-03-02 09:30:15.123456", "2026-03-02T09:30:15.123456Z"),
        ("2026-03-02T09:30:15+01:00", dt.datetime(2026, 3, 2, 8, 30, 15, tzinfo=dt.UTC)),
        ("2026-03-02 09:30:15", dt.datetime(2026, 3, 2, 9, 30, 15, tzinfo=dt.UTC)),
        ("yesterday", "yesterday"),
        (T0, T0),
    ],
)
def test_stored_times_read_back_as_the_instant_that_was_sealed(
    stored: object, canonical: object
) -> None:
    assert _stored_time(stored) == canonical


def test_searching_the_audit_log_filters_by_person_action_client_and_time(
    db: Session, world: World
) -> None:
    lead = world.users[Role.CLINICAL_LEAD]
    clinician = world.users[Role.CLINICIAN]
    read = record_read(db, world)
    updated = record_read(db, world, action=AuditAction.UPDATE, now=T0 + dt.timedelta(minutes=5))
    elsewhere = record_read(
        db,
        world,
        Role.COORDINATOR,
        client_id=world.outside_client.id,
        resource_id=world.outside_client.id,
        now=T0 + dt.timedelta(minutes=10),
    )

    def found(**filters: object) -> list[uuid.UUID]:
        page = search_events(db, lead, client_id=None, limit=50, now=T0, **filters)  # type: ignore[arg-type]
        return [event.id for event in page.items if event.actor_id is not None]

    def only_seeded(ids: list[uuid.UUID]) -> list[uuid.UUID]:
        return [i for i in ids if i in {read.id, updated.id, elsewhere.id}]

    assert only_seeded(found(actor_id=clinician.id)) == [updated.id, read.id]
    assert only_seeded(found(action="update")) == [updated.id]
    assert only_seeded(found(client_ids=frozenset({world.outside_client.id}))) == [elsewhere.id]
    assert only_seeded(
        found(since=T0 + dt.timedelta(minutes=1), until=T0 + dt.timedelta(minutes=10))
    ) == [updated.id]


def test_a_cursor_continues_only_the_search_it_came_from(db: Session, world: World) -> None:
    lead = world.users[Role.CLINICAL_LEAD]
    for minute in range(3):
        record_read(db, world, now=T0 + dt.timedelta(minutes=minute))
    clinician = world.users[Role.CLINICIAN].id
    first = search_events(db, lead, client_id=None, limit=1, now=T0, actor_id=clinician)
    assert first.next is not None
    second = search_events(
        db, lead, client_id=None, limit=1, now=T0, actor_id=clinician, cursor=first.next
    )
    assert [e.actor_id for e in second.items] == [clinician]
    assert second.items[0].insert_order < first.items[0].insert_order
    with pytest.raises(InvalidInput):
        search_events(db, lead, client_id=None, limit=1, now=T0, action="read", cursor=first.next)


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.COORDINATOR, Role.CLIENT])
def test_searching_the_audit_log_without_audit_read_answers_not_found(
    db: Session, world: World, role: Role
) -> None:
    with pytest.raises(NotFound):
        search_events(db, world.users[role], client_id=None, limit=10, now=T0)


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.CLINICAL_LEAD, Role.ADMIN])
def test_staff_have_no_access_log_of_their_own(db: Session, world: World, role: Role) -> None:
    with pytest.raises(NotFound):
        client_access_log(db, world.users[role], include_own=False, offset=0, limit=10, now=T0)


@pytest.mark.parametrize(("offset", "limit"), [(-1, 10), (0, 0), (0, 501)])
def test_the_access_log_refuses_a_page_out_of_range_in_words(
    db: Session, world: World, offset: int, limit: int
) -> None:
    with pytest.raises(InvalidInput, match="offset must be 0 or more and limit between 1 and 500"):
        client_access_log(
            db, world.client_user, include_own=False, offset=offset, limit=limit, now=T0
        )
