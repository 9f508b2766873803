"""Appointments: book, reschedule, cancel, mark no-show, list; each with a reason and audited.

API (services flush, never commit)
----------------------------------
- :func:`book_appointment` ``(session, *, user, actor, client_id, clinician_id, starts_at,
  ends_at=None, kind="assessment", setting="telehealth", reason, now, waitlist_entry_id=None)
  -> Appointment``: needs ``appointment.book`` on the client; the time must lie within the
  clinician's hours (not on leave) and in the future. Puts the clinician on the client's care
  team when not already on it.
- :func:`reschedule_appointment` ``(..., appointment_id, starts_at, reason, now)``: closes the
  old appointment (``rescheduled``) and books the new time in the same transaction.
- :func:`cancel_appointment` and :func:`mark_no_show` ``(..., appointment_id, reason, now)``.
- :func:`get_appointment`, :func:`upcoming_for_client`, :func:`clinician_week`: audited reads.

Clients act on their own appointments only (``appointment.book`` scope ``own``), may not book
new ones here (the clinic books first appointments), and may cancel or move only until the
organisation's cut-off (:attr:`alongside.scheduling.service.Rules.client_change_cutoff_hours`).

No double booking: an overlapping active appointment of the clinician or of the client is
refused with :class:`Conflict` (409). The service checks first for a clear message; under
concurrent requests the database decides (exclusion constraints on PostgreSQL, triggers on
SQLite, see :mod:`alongside.models.appointment`), and its refusal is turned into the same 409.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.kit.keyset import CursorCodec, Page, check_limit
from alongside.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AuditAction,
    CareTeam,
    Client,
    User,
)
from alongside.models.encrypted import keyring_for, page_cursor_key
from alongside.scheduling.service import (
    active_appointments,
    audit_access,
    audit_row,
    require_client,
    rules_for,
    slot_is_offered,
    staff_clinician,
)
from alongside.security.guard import load_or_refuse
from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can, readable_clients
from alongside.sqltools import Keyset

__all__ = [
    "APPOINTMENT_NOT_FOUND",
    "DOUBLE_BOOKED",
    "book_appointment",
    "cancel_appointment",
    "clinician_week",
    "get_appointment",
    "mark_no_show",
    "reschedule_appointment",
    "upcoming_for_client",
]

APPOINTMENT_NOT_FOUND = "No appointment with this id is available to you."
DOUBLE_BOOKED = (
    "That time was just taken: the clinician or the client already has an appointment then. "
    "Choose another time."
)

SETTINGS = ("in_person", "telehealth")
# What happened to an appointment, in the words its messages use.
STATUS_WORDS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.ATTENDED: "attended",
    AppointmentStatus.NO_SHOW: "recorded as not attended",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.RESCHEDULED: "moved to another time",
}
MAX_REASON = 1000
MAX_LENGTH = timedelta(hours=4)
APPOINTMENT_ORDER = Keyset((Appointment.starts_at, Appointment.id))


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInput("reason: say why (it is kept with the appointment).")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters.")
    return text


def _kind(kind: str | AppointmentKind) -> AppointmentKind:
    try:
        return AppointmentKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in AppointmentKind)
        raise InvalidInput(f"kind: one of {known}, not {kind!r}.") from None


def _is_overlap(error: IntegrityError) -> bool:
    text = str(error.orig)
    return "appointment_overlap" in text or "_overlap" in text


def _insert(session: Session, appointment: Appointment) -> None:
    """Add inside a savepoint, so the database's refusal becomes a 409 and the caller's
    transaction (its audit of the refusal, say) survives."""
    try:
        with session.begin_nested():
            session.add(appointment)
    except IntegrityError as error:
        if _is_overlap(error):
            raise Conflict(DOUBLE_BOOKED) from None
        raise


def _check_free(
    session: Session,
    *,
    clinician_id: uuid.UUID,
    client_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    ignore: uuid.UUID | None = None,
) -> None:
    clashes = [
        a
        for a in active_appointments(
            session,
            clinician_ids=[clinician_id],
            client_ids=[client_id],
            start=starts_at,
            end=ends_at,
        )
        if a.id != ignore
    ]
    if clashes:
        raise Conflict(DOUBLE_BOOKED)


def _check_time(session: Session, clinician: User, starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("starts_at: give a time with its offset, e.g. 2025-03-04T10:00:00Z.")
    if ends_at <= starts_at or ends_at - starts_at > MAX_LENGTH:
        raise InvalidInput("ends_at: after the start, and at most four hours later.")
    if not slot_is_offered(session, clinician, starts_at, ends_at):
        raise InvalidInput(
            "This time is outside the clinician's working hours or during their leave; "
            "choose one of the offered slots."
        )


def _join_care_team(session: Session, client: Client, clinician: User) -> None:
    on_team = session.scalar(
        select(CareTeam.id)
        .where(CareTeam.client_id == client.id)
        .where(CareTeam.clinician_id == clinician.id)
    )
    if on_team is None:
        session.add(
            CareTeam(
                organization_id=client.organization_id,
                client_id=client.id,
                clinician_id=clinician.id,
                team_role="primary",
            )
        )


def book_appointment(
    session: Session,
    *,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    clinician_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime | None = None,
    kind: str | AppointmentKind = AppointmentKind.ASSESSMENT,
    setting: str = "telehealth",
    reason: str,
    now: datetime,
    waitlist_entry_id: uuid.UUID | None = None,
    site_id: uuid.UUID | None = None,
) -> Appointment:
    """Book a client with a clinician (staff only); 409 if either is already booked then."""
    if not can(actor, Action.CLIENT_LIST):
        # Clients and administrators do not book new appointments.
        raise NotFound(APPOINTMENT_NOT_FOUND)
    client = require_client(
        session,
        user=user,
        actor=actor,
        client_id=client_id,
        action=Action.APPOINTMENT_BOOK,
        now=now,
    )
    clinician = staff_clinician(session, actor, clinician_id)
    text = _reason(reason)
    if setting not in SETTINGS:
        raise InvalidInput(f"setting: one of {', '.join(SETTINGS)}, not {setting!r}.")
    if ends_at is None:
        ends_at = starts_at + timedelta(
            minutes=rules_for(session, client.organization_id).slot_minutes
        )
    _check_time(session, clinician, starts_at, ends_at)
    if starts_at <= now:
        raise InvalidInput("starts_at: an appointment must be in the future.")
    _check_free(
        session,
        clinician_id=clinician.id,
        client_id=client.id,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    appointment = Appointment(
        organization_id=client.organization_id,
        client_id=client.id,
        clinician_id=clinician.id,
        site_id=site_id if setting == "in_person" else None,
        waitlist_entry_id=waitlist_entry_id,
        booked_by_id=user.id,
        starts_at=starts_at,
        ends_at=ends_at,
        status=AppointmentStatus.BOOKED,
        kind=_kind(kind),
        setting=setting,
        reason=text,
        updated_at=now,
    )
    _insert(session, appointment)
    _join_care_team(session, client, clinician)
    session.flush()
    audit_row(
        session, AuditAction.CREATE, "appointment", appointment, user=user, actor=actor, now=now
    )
    return appointment


def _visible(actor: Actor, appointment: Appointment, action: Action) -> bool:
    if appointment.organization_id != actor.organization_id:
        return False
    if actor.user_id == appointment.clinician_id and action is Action.APPOINTMENT_READ:
        # A clinician sees every appointment in their own diary.
        return True
    return can(
        actor,
        action,
        Resource(organization_id=appointment.organization_id, client_id=appointment.client_id),
    )


def _load(
    session: Session,
    *,
    user: User,
    actor: Actor,
    appointment_id: uuid.UUID,
    action: Action,
    now: datetime,
) -> Appointment:
    return load_or_refuse(
        session,
        Appointment,
        appointment_id,
        user=user,
        actor=actor,
        resource_type="appointment",
        allowed=lambda a: _visible(actor, a, action),
        now=now,
        message=APPOINTMENT_NOT_FOUND,
    )


def get_appointment(
    session: Session, *, user: User, actor: Actor, appointment_id: uuid.UUID, now: datetime
) -> Appointment:
    """One appointment the actor may see (audited), or an audited 404."""
    appointment = _load(
        session,
        user=user,
        actor=actor,
        appointment_id=appointment_id,
        action=Action.APPOINTMENT_READ,
        now=now,
    )
    audit_row(
        session, AuditAction.READ, "appointment", appointment, user=user, actor=actor, now=now
    )
    return appointment


def _changeable(session: Session, actor: Actor, appointment: Appointment, now: datetime) -> None:
    if appointment.status is not AppointmentStatus.BOOKED:
        raise Conflict(
            f"This appointment is {STATUS_WORDS[appointment.status]}; it cannot be changed."
        )
    if appointment.starts_at <= now:
        raise Conflict("This appointment has already started; it cannot be moved or cancelled.")
    if actor.client_id is not None and actor.client_id == appointment.client_id:
        cutoff = rules_for(session, appointment.organization_id).client_change_cutoff_hours
        if appointment.starts_at - now < timedelta(hours=cutoff):
            raise Conflict(
                f"Appointments can be changed online until {cutoff} hours before they start. "
                "Please call the clinic."
            )


def _load_to_change(
    session: Session,
    user: User,
    actor: Actor,
    appointment_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> tuple[Appointment, str]:
    # The order of refusals matters: not yours (404), then no reason (422), then too late (409).
    appointment = _load(
        session,
        user=user,
        actor=actor,
        appointment_id=appointment_id,
        action=Action.APPOINTMENT_BOOK,
        now=now,
    )
    text = _reason(reason)
    _changeable(session, actor, appointment, now)
    return appointment, text


def _end_booking(
    session: Session,
    appointment: Appointment,
    status: AppointmentStatus,
    reason: str,
    now: datetime,
) -> None:
    appointment.status = status
    appointment.reason = reason
    appointment.updated_at = now
    session.flush()


def cancel_appointment(
    session: Session,
    *,
    user: User,
    actor: Actor,
    appointment_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> Appointment:
    """Cancel a booked appointment (clients: their own, before the cut-off); audited."""
    appointment, text = _load_to_change(session, user, actor, appointment_id, reason, now)
    _end_booking(session, appointment, AppointmentStatus.CANCELLED, text, now)
    audit_row(
        session, AuditAction.UPDATE, "appointment", appointment, user=user, actor=actor, now=now
    )
    return appointment


def reschedule_appointment(
    session: Session,
    *,
    user: User,
    actor: Actor,
    appointment_id: uuid.UUID,
    starts_at: datetime,
    reason: str,
    now: datetime,
    clinician_id: uuid.UUID | None = None,
) -> Appointment:
    """Move a booked appointment to a new time (same length); returns the new appointment."""
    old, text = _load_to_change(session, user, actor, appointment_id, reason, now)
    if clinician_id is not None and clinician_id != old.clinician_id and actor.client_id:
        raise InvalidInput("clinician_id: ask the clinic to change your clinician.")
    clinician = staff_clinician(session, actor, clinician_id or old.clinician_id)
    ends_at = starts_at + (old.ends_at - old.starts_at)
    _check_time(session, clinician, starts_at, ends_at)
    if starts_at <= now:
        raise InvalidInput("starts_at: the new time must be in the future.")
    _check_free(
        session,
        clinician_id=clinician.id,
        client_id=old.client_id,
        starts_at=starts_at,
        ends_at=ends_at,
        ignore=old.id,
    )
    _end_booking(session, old, AppointmentStatus.RESCHEDULED, text, now)
    new = Appointment(
        organization_id=old.organization_id,
        client_id=old.client_id,
        clinician_id=clinician.id,
        site_id=old.site_id,
        waitlist_entry_id=old.waitlist_entry_id,
        rescheduled_from_id=old.id,
        booked_by_id=user.id,
        starts_at=starts_at,
        ends_at=ends_at,
        status=AppointmentStatus.BOOKED,
        kind=old.kind,
        setting=old.setting,
        reason=text,
        updated_at=now,
    )
    _insert(session, new)
    session.flush()
    # The new appointment has the old one's client and organisation.
    for row, action in ((old, AuditAction.UPDATE), (new, AuditAction.CREATE)):
        audit_row(session, action, "appointment", row, user=user, actor=actor, now=now)
    return new


def mark_no_show(
    session: Session,
    *,
    user: User,
    actor: Actor,
    appointment_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> Appointment:
    """Record that the client did not come (staff, once the appointment has started)."""
    appointment = _load(
        session,
        user=user,
        actor=actor,
        appointment_id=appointment_id,
        action=Action.APPOINTMENT_BOOK,
        now=now,
    )
    if actor.client_id is not None:
        raise NotFound(APPOINTMENT_NOT_FOUND)
    text = _reason(reason)
    if appointment.status is not AppointmentStatus.BOOKED:
        raise Conflict(
            f"This appointment is already {STATUS_WORDS[appointment.status]}; only a booked "
            "appointment can be recorded as not attended."
        )
    if appointment.starts_at > now:
        raise Conflict("A no-show can be recorded only once the appointment has started.")
    _end_booking(session, appointment, AppointmentStatus.NO_SHOW, text, now)
    audit_row(
        session, AuditAction.UPDATE, "appointment", appointment, user=user, actor=actor, now=now
    )
    return appointment


def _audit_list(session: Session, user: User, actor: Actor, now: datetime) -> None:
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.LIST,
        resource_type="appointment",
        resource_id=None,
        client_id=None,
        organization_id=actor.organization_id,
        now=now,
    )


def upcoming_for_client(
    session: Session,
    *,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    now: datetime,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Appointment]:
    """A page of the client's booked appointments from now on, soonest first (audited read)."""
    client = require_client(
        session,
        user=user,
        actor=actor,
        client_id=client_id,
        action=Action.APPOINTMENT_READ,
        now=now,
    )
    size = check_limit(limit)
    codec = CursorCodec(page_cursor_key(session))
    scope = f"appointments/{client.id}"
    query = (
        select(Appointment)
        .where(Appointment.client_id == client.id)
        .where(Appointment.status == AppointmentStatus.BOOKED)
        .where(Appointment.ends_at > now)
    )
    if cursor:
        query = query.where(
            APPOINTMENT_ORDER.after(codec.decode(scope, cursor, (datetime, uuid.UUID)))
        )
    appointments = list(
        session.scalars(query.order_by(*APPOINTMENT_ORDER.order_by()).limit(size + 1))
    )
    more = len(appointments) > size
    appointments = appointments[:size]
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.LIST,
        resource_type="appointment",
        resource_id=None,
        client_id=client.id,
        organization_id=client.organization_id,
        now=now,
    )
    following = None
    if more:
        following = codec.encode(scope, (appointments[-1].starts_at, appointments[-1].id))
    return Page(items=appointments, next=following)


def clinician_week(
    session: Session,
    *,
    user: User,
    actor: Actor,
    clinician_id: uuid.UUID,
    start: datetime,
    now: datetime,
    days: int = 7,
) -> list[Appointment]:
    """A clinician's active appointments from ``start`` for ``days`` days (their own diary, or
    any clinician's for someone who manages the waitlist); the clients' keys preloaded."""
    clinician = staff_clinician(session, actor, clinician_id)
    if actor.user_id != clinician.id and not can(actor, Action.WAITLIST_MANAGE):
        raise NotFound("No clinician with this id is available to you.")
    end = start + timedelta(days=days)
    appointments = active_appointments(session, clinician_ids=[clinician.id], start=start, end=end)
    if actor.user_id != clinician.id:
        scope = readable_clients(actor, Action.APPOINTMENT_READ)
        appointments = [a for a in appointments if scope.contains(a.organization_id, a.client_id)]
    keyring_for(session).preload(session, [a.client_id for a in appointments])
    _audit_list(session, user, actor, now)
    return appointments
