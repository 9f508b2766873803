"""JSON API for scheduling; what an actor may not see answers 404. Thin: parse, call, render."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from alongside.deps import CurrentSignedIn, DbSession
from alongside.errors import InvalidInput, NotFound
from alongside.kit.ids import parse_id
from alongside.kit.schema import PageRead
from alongside.kit.time import AwareDateTime, utcnow
from alongside.models import Appointment, ClientPreference
from alongside.scheduling import booking, fhir, ical, service, waitlist
from alongside.scheduling.schemas import (
    AppointmentCreate,
    AppointmentMove,
    AppointmentRead,
    AppointmentReason,
    AvailabilityCreate,
    AvailabilityRead,
    FeedCreated,
    MatchConfirm,
    PreferencesRead,
    PreferencesWrite,
    ProfileRead,
    ProfileUpdate,
    ProposalRead,
    ProposalsRead,
    RescreenRead,
    SlotRead,
    UnmatchedRead,
    WaitlistEntryRead,
    WaitlistRemove,
)
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action

router = APIRouter(prefix="/api/scheduling", tags=["scheduling"])
feed_router = APIRouter(tags=["scheduling"])


def _appointment(a: Appointment) -> AppointmentRead:
    return AppointmentRead(
        id=a.id,
        client_id=a.client_id,
        clinician_id=a.clinician_id,
        starts_at=a.starts_at,
        ends_at=a.ends_at,
        status=a.status.value,
        kind=a.kind.value,
        setting=a.setting,
        rescheduled_from_id=a.rescheduled_from_id,
        waitlist_entry_id=a.waitlist_entry_id,
    )


@router.get("/clinicians/{clinician_id}/slots", response_model=list[SlotRead])
def clinician_slots(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, Action.USER_MANAGE)],
    clinician_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
    days: int = Query(default=14, ge=1, le=90),
) -> list[SlotRead]:
    """A clinician's free slots from now (staff of the organisation)."""
    if not signed_in.user.is_staff:
        raise NotFound(service.NOT_FOUND)
    clinician = service.staff_clinician(
        db, signed_in.actor, parse_id(clinician_id, service.NOT_FOUND)
    )
    now = utcnow()
    rules = service.rules_for(db, clinician.organization_id)
    slots = service.free_slots(db, clinician, now, now + timedelta(days=days), rules.slot_minutes)
    return [SlotRead(start=s.start, end=s.end) for s in slots]


@router.get("/clinicians/{clinician_id}/profile", response_model=ProfileRead)
def get_profile(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, Action.USER_MANAGE)],
    clinician_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> ProfileRead:
    """A clinician's profile (staff of the organisation)."""
    if not signed_in.user.is_staff:
        raise NotFound(service.NOT_FOUND)
    clinician = service.staff_clinician(
        db, signed_in.actor, parse_id(clinician_id, service.NOT_FOUND)
    )
    return ProfileRead.model_validate(service.profile_for(db, clinician.id))


@router.put("/clinicians/{clinician_id}/profile", response_model=ProfileRead)
def put_profile(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, Action.USER_MANAGE)],
    clinician_id: str,
    body: ProfileUpdate,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> ProfileRead:
    """Change a clinician's profile (themself, a coordinator or an administrator)."""
    profile = service.save_clinician_profile(
        db,
        actor=signed_in.actor,
        clinician_id=parse_id(clinician_id, service.NOT_FOUND),
        **body.model_dump(),
    )
    return ProfileRead.model_validate(profile)


@router.get("/clinicians/{clinician_id}/availability", response_model=list[AvailabilityRead])
def get_availability(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, Action.USER_MANAGE)],
    clinician_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[AvailabilityRead]:
    """A clinician's hours and leave (staff of the organisation)."""
    if not signed_in.user.is_staff:
        raise NotFound(service.NOT_FOUND)
    clinician = service.staff_clinician(
        db, signed_in.actor, parse_id(clinician_id, service.NOT_FOUND)
    )
    return [
        AvailabilityRead.model_validate(r) for r in service.list_availability(db, [clinician.id])
    ]


@router.post(
    "/clinicians/{clinician_id}/availability", response_model=AvailabilityRead, status_code=201
)
def post_availability(
    # The service's rule: the clinician themself (who holds appointment.read) or someone who
    # manages the waitlist; an administrator (user.manage) may read hours, not change them.
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, Action.WAITLIST_MANAGE)],
    clinician_id: str,
    body: AvailabilityCreate,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> AvailabilityRead:
    """Add weekly hours, extra hours or leave (the clinician themself, a coordinator or the
    clinical lead)."""
    parsed = parse_id(clinician_id, service.NOT_FOUND)
    actor = signed_in.actor
    if body.kind == "leave":
        if body.starts_at is None or body.ends_at is None:
            raise InvalidInput("Leave needs starts_at and ends_at.")
        row = service.add_leave(
            db,
            actor=actor,
            clinician_id=parsed,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            note=body.note,
        )
    elif body.start is None or body.end is None:
        raise InvalidInput("Hours need start and end.")
    elif body.kind == "weekly":
        if body.weekday is None:
            raise InvalidInput("Weekly hours need a weekday (0 = Monday).")
        row = service.add_weekly_hours(
            db,
            actor=actor,
            clinician_id=parsed,
            weekday=body.weekday,
            start=body.start,
            end=body.end,
        )
    else:
        if body.day is None:
            raise InvalidInput("Extra hours need a day.")
        row = service.add_extra_hours(
            db, actor=actor, clinician_id=parsed, day=body.day, start=body.start, end=body.end
        )
    return AvailabilityRead.model_validate(row)


@router.delete("/availability/{availability_id}", status_code=204)
def delete_availability(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, Action.WAITLIST_MANAGE)],
    availability_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Remove one block of hours or leave."""
    service.remove_availability(
        db, actor=signed_in.actor, availability_id=parse_id(availability_id, service.NOT_FOUND)
    )
    return Response(status_code=204)


@router.get("/clients/{client_id}/preferences", response_model=PreferencesRead)
def get_preferences(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ)],
    client_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> PreferencesRead:
    """A client's preferences."""
    pref = service.get_preferences(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=parse_id(client_id, service.NOT_FOUND),
        now=utcnow(),
    )
    return _preferences(pref)


def _preferences(pref: ClientPreference) -> PreferencesRead:
    return PreferencesRead(
        client_id=pref.client_id,
        language=pref.language,
        modality=pref.modality,
        modality_required=pref.modality_required,
        preferred_gender=pref.preferred_gender,
        setting=pref.setting,
        site_ids=[uuid.UUID(s) for s in pref.site_ids],
        times_of_day=list(pref.times_of_day),
        population=pref.population,
        specialty=pref.specialty,
        time_zone=pref.time_zone,
        remind_email=pref.remind_email,
        remind_webhook=pref.remind_webhook,
    )


@router.put("/clients/{client_id}/preferences", response_model=PreferencesRead)
def put_preferences(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_BOOK)],
    client_id: str,
    body: PreferencesWrite,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> PreferencesRead:
    """Replace a client's preferences (the client themself, or staff who book for them)."""
    pref = service.save_preferences(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=parse_id(client_id, service.NOT_FOUND),
        now=utcnow(),
        **body.model_dump(),
    )
    return _preferences(pref)


@router.get("/clients/{client_id}/appointments", response_model=PageRead[AppointmentRead])
def client_appointments(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ)],
    client_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
    limit: Annotated[int | None, Query(description="Rows per page (1-200, 50).")] = None,
    cursor: Annotated[str | None, Query(description="The `next` of the previous page.")] = None,
) -> PageRead[AppointmentRead]:
    """A client's upcoming appointments, soonest first, a page at a time."""
    page = booking.upcoming_for_client(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=parse_id(client_id, service.NOT_FOUND),
        now=utcnow(),
        limit=limit,
        cursor=cursor,
    )
    return PageRead[AppointmentRead](items=[_appointment(a) for a in page.items], next=page.next)


@router.get("/clinicians/{clinician_id}/week", response_model=list[AppointmentRead])
def clinician_week(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ)],
    clinician_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
    start: AwareDateTime | None = None,
) -> list[AppointmentRead]:
    """A clinician's appointments for seven days from ``start`` (default: now)."""
    now = utcnow()
    found = booking.clinician_week(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        clinician_id=parse_id(clinician_id, service.NOT_FOUND),
        start=start or now,
        now=now,
    )
    return [_appointment(a) for a in found]


@router.post("/appointments", response_model=AppointmentRead, status_code=201)
def book(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_BOOK)],
    body: AppointmentCreate,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> AppointmentRead:
    """Book an appointment; 409 when the clinician or the client is already booked then."""
    appointment = booking.book_appointment(
        db, user=signed_in.user, actor=signed_in.actor, now=utcnow(), **body.model_dump()
    )
    return _appointment(appointment)


@router.get("/appointments/{appointment_id}", response_model=AppointmentRead)
def get_appointment(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ)],
    appointment_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> AppointmentRead:
    """One appointment."""
    appointment = booking.get_appointment(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        appointment_id=parse_id(appointment_id, booking.APPOINTMENT_NOT_FOUND),
        now=utcnow(),
    )
    return _appointment(appointment)


@router.post("/appointments/{appointment_id}/reschedule", response_model=AppointmentRead)
def reschedule(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_BOOK)],
    appointment_id: str,
    body: AppointmentMove,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> AppointmentRead:
    """Move an appointment; returns the new one."""
    appointment = booking.reschedule_appointment(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        appointment_id=parse_id(appointment_id, booking.APPOINTMENT_NOT_FOUND),
        starts_at=body.starts_at,
        reason=body.reason,
        now=utcnow(),
    )
    return _appointment(appointment)


@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentRead)
def cancel(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_BOOK)],
    appointment_id: str,
    body: AppointmentReason,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> AppointmentRead:
    """Cancel an appointment."""
    appointment = booking.cancel_appointment(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        appointment_id=parse_id(appointment_id, booking.APPOINTMENT_NOT_FOUND),
        reason=body.reason,
        now=utcnow(),
    )
    return _appointment(appointment)


@router.post("/appointments/{appointment_id}/no-show", response_model=AppointmentRead)
def no_show(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_BOOK)],
    appointment_id: str,
    body: AppointmentReason,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> AppointmentRead:
    """Record that the client did not come."""
    appointment = booking.mark_no_show(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        appointment_id=parse_id(appointment_id, booking.APPOINTMENT_NOT_FOUND),
        reason=body.reason,
        now=utcnow(),
    )
    return _appointment(appointment)


@router.get("/appointments/{appointment_id}/fhir")
def appointment_fhir(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ)],
    appointment_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> dict[str, Any]:
    """The appointment as a FHIR R4B Appointment."""
    a = booking.get_appointment(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        appointment_id=parse_id(appointment_id, booking.APPOINTMENT_NOT_FOUND),
        now=utcnow(),
    )
    clinician = service.staff_clinician(db, signed_in.actor, a.clinician_id)
    return fhir.appointment_resource(
        appointment_id=str(a.id),
        status=a.status.value,
        starts_at=a.starts_at,
        ends_at=a.ends_at,
        kind=a.kind.value,
        client_id=str(a.client_id),
        clinician_id=str(a.clinician_id),
        clinician_name=clinician.display_name,
        setting=a.setting,
    )


@router.get("/clinicians/{clinician_id}/fhir")
def schedule_fhir(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, Action.USER_MANAGE)],
    clinician_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
    days: int = Query(default=14, ge=1, le=90),
) -> dict[str, Any]:
    """A Bundle of the clinician's Schedule and its free and busy Slots (no client data)."""
    if not signed_in.user.is_staff:
        raise NotFound(service.NOT_FOUND)
    clinician = service.staff_clinician(
        db, signed_in.actor, parse_id(clinician_id, service.NOT_FOUND)
    )
    now = utcnow()
    end = now + timedelta(days=days)
    rules = service.rules_for(db, clinician.organization_id)
    free = service.free_slots(db, clinician, now, end, rules.slot_minutes)
    busy = service.active_appointments(db, clinician_ids=[clinician.id], start=now, end=end)
    schedule = fhir.schedule_resource(str(clinician.id), clinician.display_name, now, end)
    return fhir.bundle([schedule, *fhir.slot_resources(schedule["id"], free, busy)])


@router.get("/waitlist", response_model=PageRead[WaitlistEntryRead])
def get_waitlist(
    permit: Annotated[Permit, requires(Action.WAITLIST_MANAGE)],
    db: DbSession,
    signed_in: CurrentSignedIn,
    limit: Annotated[int | None, Query(description="Rows per page (1-200, 50).")] = None,
    cursor: Annotated[str | None, Query(description="The `next` of the previous page.")] = None,
) -> PageRead[WaitlistEntryRead]:
    """The waitlist by urgency, then waiting time (coordinators and clinical leads)."""
    page = waitlist.list_waitlist(
        db, user=signed_in.user, actor=signed_in.actor, now=utcnow(), limit=limit, cursor=cursor
    )
    items = [
        WaitlistEntryRead(
            id=e.id,
            client_id=e.client_id,
            urgency=e.urgency,
            pathway=e.pathway,
            status=e.status.value,
            added_at=e.added_at,
            next_rescreen_at=e.next_rescreen_at,
        )
        for e in page.items
    ]
    return PageRead[WaitlistEntryRead](items=items, next=page.next)


@router.post("/waitlist/{entry_id}/remove", status_code=204)
def remove_entry(
    permit: Annotated[Permit, requires(Action.WAITLIST_MANAGE)],
    entry_id: str,
    body: WaitlistRemove,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Take a client off the waitlist, with a reason."""
    waitlist.remove_from_waitlist(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        entry_id=parse_id(entry_id, waitlist.ENTRY_NOT_FOUND),
        reason=body.reason,
        now=utcnow(),
    )
    return Response(status_code=204)


@router.get("/proposals", response_model=ProposalsRead)
def proposals(
    permit: Annotated[Permit, requires(Action.WAITLIST_MANAGE)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> ProposalsRead:
    """Matching proposals for the waiting clients; nothing is booked until confirmed."""
    result = waitlist.match_proposals(db, user=signed_in.user, actor=signed_in.actor, now=utcnow())
    return ProposalsRead(
        proposals=[
            ProposalRead(
                entry_id=uuid.UUID(p.client_id),
                client_id=result.entries[p.client_id].client_id,
                clinician_id=uuid.UUID(p.clinician_id),
                starts_at=p.slot.start,
                ends_at=p.slot.end,
                score=p.score,
                preferences_met=list(p.preferences_met),
                preferences_unmet=list(p.preferences_unmet),
                reasons=result.reasons(p),
            )
            for p in result.proposals
        ],
        unmatched=[
            UnmatchedRead(entry_id=uuid.UUID(u.client_id), reasons=result.reasons(u))
            for u in result.unmatched
        ],
    )


@router.post("/proposals/confirm", response_model=AppointmentRead, status_code=201)
def confirm(
    permit: Annotated[Permit, requires(Action.WAITLIST_MANAGE)],
    body: MatchConfirm,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> AppointmentRead:
    """A person confirms (or changes) a proposal: the appointment is booked."""
    appointment = waitlist.confirm_match(
        db, user=signed_in.user, actor=signed_in.actor, now=utcnow(), **body.model_dump()
    )
    return _appointment(appointment)


@router.post("/rescreens", response_model=list[RescreenRead])
def run_rescreens(
    permit: Annotated[Permit, requires(Action.WAITLIST_MANAGE)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[RescreenRead]:
    """Create re-screen links for waiting clients who are due (links shown once)."""
    due = waitlist.due_rescreens(db, user=signed_in.user, now=utcnow())
    return [RescreenRead(entry_id=r.entry.id, link_path=r.link_path) for r in due]


@router.post("/feeds", response_model=FeedCreated, status_code=201)
def create_feed(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> FeedCreated:
    """A new secret calendar address for the signed-in clinician (shown once)."""
    feed, token = ical.create_feed(
        db, actor=signed_in.actor, clinician_id=signed_in.user.id, now=utcnow()
    )
    return FeedCreated(id=feed.id, path=ical.feed_path(token))


@router.delete("/feeds/{feed_id}", status_code=204)
def revoke_feed(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ)],
    feed_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Stop a calendar address working."""
    ical.revoke_feed(
        db, actor=signed_in.actor, feed_id=parse_id(feed_id, ical.FEED_NOT_FOUND), now=utcnow()
    )
    return Response(status_code=204)


@feed_router.get("/calendar/{token}.ics", include_in_schema=False)
def calendar_feed(
    permit: Annotated[Permit, requires(public=True)], token: str, request: Request, db: DbSession
) -> Response:
    """The clinician's calendar (the token is the credential)."""
    data = ical.feed_calendar(db, token, utcnow())
    return Response(content=data, media_type="text/calendar; charset=utf-8")
