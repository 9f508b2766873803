"""Scheduling pages (server-rendered, no JavaScript needed): the coordinator's waitlist and match
proposals, the clinician's week, the client's upcoming appointments."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from alongside.db import refusable
from alongside.deps import CurrentSignedIn, DbSession, PostedForm, SignedIn
from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.kit.http import is_htmx, page_url
from alongside.kit.ids import parse_id
from alongside.kit.time import EARLIEST, LATEST, check_day, check_moment, utcnow
from alongside.models import AppointmentStatus, Availability, WaitlistStatus
from alongside.review.queue import describe_duration, wait_of
from alongside.review.service import review_targets
from alongside.scheduling import booking, ical, service, waitlist
from alongside.scheduling.availability import Leave, resolve_zone
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.security.policy import Resource, can
from alongside.templating import render
from alongside.zones import OrganisationZone, clock

router = APIRouter(include_in_schema=False)


def _form(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _local(db: DbSession, signed_in: SignedIn) -> tuple[str, Callable[[datetime], str]]:
    """The reader's clock: their own time zone when they chose one, else the organisation's."""
    zone_name = str(OrganisationZone(signed_in.user))
    zone = resolve_zone(zone_name)

    def fmt(moment: datetime) -> str:
        local = moment.astimezone(zone)
        return f"{local.strftime('%a %d %b %Y, %H:%M')} {local.tzname()}"

    return zone_name, fmt


def _context(db: DbSession, signed_in: SignedIn, **extra: object) -> dict[str, object]:
    zone, fmt = _local(db, signed_in)
    return {
        "user": signed_in.user,
        "csrf_token": signed_in.csrf_token,
        "zone": zone,
        "clock_zone": zone,
        "local": fmt,
        **extra,
    }


def _when(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("starts_at: choose one of the offered times.") from None
    try:
        return check_moment(parsed)
    except ValueError:
        raise InvalidInput("starts_at: choose one of the offered times.") from None


@router.get("/scheduling/waitlist")
def waitlist_page(
    permit: Annotated[Permit, requires(Action.WAITLIST_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The waitlist by urgency then waiting time, and the matching proposals to confirm."""
    return _waitlist(request, db, signed_in, removed=request.query_params.get("removed"))


def _waitlist(
    request: Request,
    db: DbSession,
    signed_in: SignedIn,
    *,
    removed: str | None = None,
    problem: tuple[uuid.UUID, str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The waitlist page; ``problem`` is (entry, message, reason typed) when a removal failed."""
    now = utcnow()
    cursor = request.query_params.get("cursor") or None
    page = waitlist.list_waitlist(
        db, user=signed_in.user, actor=signed_in.actor, now=now, cursor=cursor
    )
    entries = page.items
    clients = waitlist.clients_of(db, entries)
    # Proposals for the people on this page: the page shown is the page matched.
    result = waitlist.match_proposals(
        db, user=signed_in.user, actor=signed_in.actor, now=now, entries=entries
    )
    targets = review_targets(db, signed_in.user.organization_id)
    context = _context(
        db,
        signed_in,
        entries=entries,
        next_url=page_url(request, page.next) if page.next else None,
        first_url=page_url(request, None) if cursor else None,
        clients=clients,
        result=result,
        now=now,
        back_to_triage=WaitlistStatus.BACK_TO_TRIAGE,
        booked=request.query_params.get("booked"),
        rescreens=None,
        # Each person's wait against their urgency's target, for the row and their proposal.
        waits={e.id: wait_of(e.added_at, e.urgency, targets, now) for e in entries},
        duration=describe_duration,
        removed=removed,
        problem=problem,
    )
    if is_htmx(request):
        return render(request, "scheduling/_proposals.html", context)
    left = waitlist.recently_removed(db, user=signed_in.user, actor=signed_in.actor, now=now)
    context.update(left=left, left_clients=waitlist.clients_of(db, left))
    return render(request, "scheduling/waitlist.html", context, status_code=status_code)


@router.post("/scheduling/waitlist/{entry_id}/remove")
def remove_entry(
    permit: Annotated[Permit, requires(Action.WAITLIST_MANAGE)],
    entry_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """Take a client off the waitlist with a reason (as the API does), then show the list."""
    parsed = parse_id(entry_id, waitlist.ENTRY_NOT_FOUND)
    reason = _form(posted).get("reason", "")
    try:
        with refusable(db):
            waitlist.remove_from_waitlist(
                db,
                user=signed_in.user,
                actor=signed_in.actor,
                entry_id=parsed,
                reason=reason,
                now=utcnow(),
            )
    except (InvalidInput, Conflict) as exc:
        return _waitlist(
            request,
            db,
            signed_in,
            problem=(parsed, exc.message, reason),
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/scheduling/waitlist?removed={parsed}#left-heading", 303)


@router.get("/scheduling/waitlist/{entry_id}/change")
def change_page(
    permit: Annotated[Permit, requires(Action.WAITLIST_MANAGE)],
    entry_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Other clinicians' first fitting times for one client, so the coordinator can change a
    proposal."""
    now = utcnow()
    parsed = parse_id(entry_id, waitlist.ENTRY_NOT_FOUND)
    alternatives = waitlist.alternatives_for(
        db, user=signed_in.user, actor=signed_in.actor, entry_id=parsed, now=now
    )
    entry = waitlist.get_entry(db, signed_in.actor, parsed)
    client = waitlist.clients_of(db, [entry])[entry.client_id]
    context = _context(db, signed_in, entry=entry, client=client, alternatives=alternatives)
    return render(request, "scheduling/change.html", context)


@router.post("/scheduling/proposals/confirm")
def confirm_proposal(
    permit: Annotated[Permit, requires(Action.WAITLIST_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """A person confirms a proposal: book it and go back to the waitlist."""
    form = _form(posted)
    appointment = waitlist.confirm_match(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        entry_id=parse_id(form.get("entry_id", ""), waitlist.ENTRY_NOT_FOUND),
        clinician_id=parse_id(form.get("clinician_id", ""), service.NOT_FOUND),
        starts_at=_when(form.get("starts_at", "")),
        setting=form.get("setting", "telehealth"),
        reason=form.get("reason", "").strip() or "First appointment from the waitlist",
        now=utcnow(),
    )
    return RedirectResponse(f"/scheduling/waitlist?booked={appointment.id}", status_code=303)


@router.post("/scheduling/rescreens")
def rescreens(
    permit: Annotated[Permit, requires(Action.WAITLIST_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Create the re-screen links that are due and show them once."""
    now = utcnow()
    due = waitlist.due_rescreens(db, user=signed_in.user, now=now)
    clients = waitlist.clients_of(db, [r.entry for r in due])
    context = _context(db, signed_in, rescreens=due, clients=clients)
    return render(request, "scheduling/rescreens.html", context)


GRID_FIRST_HOUR = 8
GRID_LAST_HOUR = 17


@router.get("/scheduling/week")
def week_page(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """A clinician's week (their own; coordinators may choose a clinician)."""
    now = utcnow()
    clinician_id = request.query_params.get("clinician_id")
    target = parse_id(clinician_id, service.NOT_FOUND) if clinician_id else signed_in.user.id
    if not clinician_id and signed_in.user.role not in service.CLINICIAN_ROLES:
        # A coordinator keeps no calendar: they see a clinician's week, chosen on the page.
        choices = service.clinicians_of(db, signed_in.actor) if can_manage(signed_in) else []
        if not choices:
            raise NotFound(service.NOT_FOUND)
        target = choices[0].id
    zone_name, _ = _local(db, signed_in)
    zone = resolve_zone(zone_name)
    start_text = request.query_params.get("start")
    try:
        first = date.fromisoformat(start_text) if start_text else now.astimezone(zone).date()
        # A week from its Monday: one day inside the range keeps the arithmetic inside it.
        check_day(first - timedelta(days=7))
        check_day(first + timedelta(days=14))
    except (ValueError, OverflowError):
        raise InvalidInput(
            f"start: a date like 2030-01-07, between {EARLIEST.year} and {LATEST.year}."
        ) from None
    return _week(request, db, signed_in, target, first, done=request.query_params.get("done"))


def _week(
    request: Request,
    db: DbSession,
    signed_in: SignedIn,
    target: uuid.UUID,
    day: date,
    *,
    done: str | None = None,
    problem: tuple[uuid.UUID, str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The week holding ``day``; ``problem`` is (appointment, message, reason typed) when a
    no-show could not be recorded."""
    now = utcnow()
    zone_name, _ = _local(db, signed_in)
    zone = resolve_zone(zone_name)
    first = day - timedelta(days=day.weekday())
    start = datetime.combine(first, time(0), tzinfo=zone)
    appointments = booking.clinician_week(
        db, user=signed_in.user, actor=signed_in.actor, clinician_id=target, start=start, now=now
    )
    # A no-show can be recorded once the appointment has started, by whoever may book it
    # (the same rule as the API: the care team, a coordinator).
    markable = {
        a.id
        for a in appointments
        if a.status is AppointmentStatus.BOOKED
        and a.starts_at <= now
        and signed_in.user.client_id is None
        and can(
            signed_in.actor,
            Action.APPOINTMENT_BOOK,
            Resource(organization_id=a.organization_id, client_id=a.client_id),
        )
    }
    clients = service.clients_by_id(db, [a.client_id for a in appointments])
    days = [
        (
            first + timedelta(days=n),
            [
                a
                for a in appointments
                if a.starts_at.astimezone(zone).date() == first + timedelta(days=n)
            ],
        )
        for n in range(7)
    ]
    feeds = ical.list_feeds(db, actor=signed_in.actor) if target == signed_in.user.id else []
    # The calendar grid: one row per hour of the working day (widened to every appointment),
    # one column per day; an appointment sits in the hour it starts.
    starts = [a.starts_at.astimezone(zone) for a in appointments]
    ends = [a.ends_at.astimezone(zone) for a in appointments]
    first_hour = min([GRID_FIRST_HOUR, *(t.hour for t in starts)])
    last_hour = max([GRID_LAST_HOUR, *((t - timedelta(minutes=1)).hour for t in ends)])
    grid = {
        (hour, n): [
            a
            for a, local in zip(appointments, starts, strict=True)
            if local.date() == first + timedelta(days=n) and local.hour == hour
        ]
        for hour in range(first_hour, last_hour + 1)
        for n in range(7)
    }
    context = _context(
        db,
        signed_in,
        hours=list(range(first_hour, last_hour + 1)),
        grid=grid,
        zone_now=now.astimezone(zone).date(),
        zone_abbr=start.tzname(),
        days=days,
        clients=clients,
        clinician=service.staff_clinician(db, signed_in.actor, target),
        previous=(first - timedelta(days=7)).isoformat(),
        next=(first + timedelta(days=7)).isoformat(),
        feeds=feeds,
        new_feed=None,
        markable=markable,
        done=done,
        problem=problem,
        clinicians=service.clinicians_of(db, signed_in.actor) if can_manage(signed_in) else [],
        week_start=first.isoformat(),
        week_query=f"start={first.isoformat()}"
        + (f"&clinician_id={target}" if target != signed_in.user.id else ""),
    )
    return render(request, "scheduling/week.html", context, status_code=status_code)


@router.post("/scheduling/appointments/{appointment_id}/no-show")
def no_show_submit(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_BOOK)],
    appointment_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """Record that the client did not come (as the API does), then show the week again."""
    parsed = parse_id(appointment_id, booking.APPOINTMENT_NOT_FOUND)
    reason = _form(posted).get("reason", "")
    zone = resolve_zone(_local(db, signed_in)[0])
    try:
        with refusable(db):
            appointment = booking.mark_no_show(
                db,
                user=signed_in.user,
                actor=signed_in.actor,
                appointment_id=parsed,
                reason=reason,
                now=utcnow(),
            )
    except (InvalidInput, Conflict) as exc:
        found = booking.get_appointment(
            db, user=signed_in.user, actor=signed_in.actor, appointment_id=parsed, now=utcnow()
        )
        return _week(
            request,
            db,
            signed_in,
            found.clinician_id,
            found.starts_at.astimezone(zone).date(),
            problem=(found.id, exc.message, reason),
            status_code=exc.status_code,
        )
    day = appointment.starts_at.astimezone(zone).date()
    query = f"start={day.isoformat()}&done=no_show"
    if appointment.clinician_id != signed_in.user.id:
        query += f"&clinician_id={appointment.clinician_id}"
    return RedirectResponse(f"/scheduling/week?{query}#appointment-{appointment.id}", 303)


@router.post("/scheduling/feeds")
def new_feed(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """A new calendar address for the signed-in clinician, shown once."""
    _feed, token = ical.create_feed(
        db, actor=signed_in.actor, clinician_id=signed_in.user.id, now=utcnow()
    )
    context = _context(db, signed_in, path=ical.feed_path(token), base=str(request.base_url))
    return render(request, "scheduling/feed_created.html", context, status_code=201)


@router.post("/scheduling/feeds/{feed_id}/revoke")
def revoke(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ)],
    feed_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Stop a calendar address working."""
    ical.revoke_feed(
        db, actor=signed_in.actor, feed_id=parse_id(feed_id, ical.FEED_NOT_FOUND), now=utcnow()
    )
    return RedirectResponse("/scheduling/week", status_code=303)


def _own_client_id(signed_in: SignedIn) -> uuid.UUID:
    if signed_in.user.client_id is None:
        raise NotFound(service.NOT_FOUND)
    return signed_in.user.client_id


@router.get("/scheduling/appointments")
def my_appointments(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, own_space=True)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The client's upcoming appointments, with cancel and move within the clinic's rules."""
    now = utcnow()
    client_id = _own_client_id(signed_in)
    cursor = request.query_params.get("cursor") or None
    page = booking.upcoming_for_client(
        db, user=signed_in.user, actor=signed_in.actor, client_id=client_id, now=now, cursor=cursor
    )
    appointments = page.items
    cutoff = service.rules_for(db, signed_in.user.organization_id).client_change_cutoff_hours
    context = _context(
        db,
        signed_in,
        appointments=appointments,
        cutoff=cutoff,
        changeable={a.id: a.starts_at - now >= timedelta(hours=cutoff) for a in appointments},
        clinicians=service.users_by_id(db, [a.clinician_id for a in appointments]),
        done=request.query_params.get("done"),
        next_url=page_url(request, page.next) if page.next else None,
        first_url=page_url(request, None) if cursor else None,
    )
    return render(request, "scheduling/my_appointments.html", context)


@router.post("/scheduling/appointments/{appointment_id}/cancel")
def cancel_page(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_BOOK)],
    appointment_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """Cancel an appointment from the client's page."""
    form = _form(posted)
    booking.cancel_appointment(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        appointment_id=parse_id(appointment_id, booking.APPOINTMENT_NOT_FOUND),
        reason=form.get("reason", "").strip() or "Cancelled by the client",
        now=utcnow(),
    )
    return RedirectResponse("/scheduling/appointments?done=cancelled", status_code=303)


@router.get("/scheduling/appointments/{appointment_id}/reschedule")
def reschedule_form(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ)],
    appointment_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Free times with the same clinician to move an appointment to."""
    now = utcnow()
    appointment = booking.get_appointment(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        appointment_id=parse_id(appointment_id, booking.APPOINTMENT_NOT_FOUND),
        now=now,
    )
    clinician = service.staff_clinician(db, signed_in.actor, appointment.clinician_id)
    rules = service.rules_for(db, appointment.organization_id)
    earliest = now + timedelta(hours=rules.client_change_cutoff_hours)
    slots = service.free_slots(
        db,
        clinician,
        earliest,
        earliest + timedelta(days=rules.horizon_days),
        int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
    )
    context = _context(
        db, signed_in, appointment=appointment, clinician=clinician, slots=slots[:40]
    )
    return render(request, "scheduling/reschedule.html", context)


@router.post("/scheduling/appointments/{appointment_id}/reschedule")
def reschedule_submit(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_BOOK)],
    appointment_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """Move the appointment to the chosen time."""
    form = _form(posted)
    booking.reschedule_appointment(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        appointment_id=parse_id(appointment_id, booking.APPOINTMENT_NOT_FOUND),
        starts_at=_when(form.get("starts_at", "")),
        reason=form.get("reason", "").strip() or "Moved by the client",
        now=utcnow(),
    )
    target = "/scheduling/appointments?done=moved"
    if signed_in.user.client_id is None:
        target = "/scheduling/week"
    return RedirectResponse(target, status_code=303)


# ---------------------------------------------------------------------------------------------
# Working hours and leave: the clinician's own, or any clinician's for whoever manages the
# waitlist (the same service, and so the same rules, as the API).

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _wall_time(value: str, label: str, example: str) -> time:
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{label}: enter a time like {example}.") from None
    if parsed.tzinfo is not None:
        raise InvalidInput(f"{label}: enter a time like {example}.")
    return parsed.replace(second=0, microsecond=0)


def _form_day(value: str, label: str) -> date:
    try:
        return check_day(date.fromisoformat(value.strip()))
    except ValueError:
        raise InvalidInput(f"{label}: enter a date like 2030-01-07.") from None


def _weekday(value: str) -> int:
    try:
        day = int(value)
    except ValueError:
        raise InvalidInput("Day: choose a day of the week.") from None
    if not 0 <= day <= 6:
        raise InvalidInput("Day: choose a day of the week.")
    return day


def leave_words(row: Availability, zone_name: str, org_zone: str) -> str:
    """A leave in words: whole days in the clinician's zone ("Monday 12 January to Friday 16
    January 2026"), or its start and end on the clinic's clock when it is not whole days."""
    if row.starts_at is None or row.ends_at is None:
        return ""
    zone = resolve_zone(zone_name)
    begins, ends = row.starts_at.astimezone(zone), row.ends_at.astimezone(zone)
    if begins.time() == time(0) and ends.time() == time(0):
        last = (ends - timedelta(days=1)).date()
        first_words = begins.strftime("%A %d %B")
        if last == begins.date():
            return f"{first_words} {begins.year}"
        if last.year != begins.year:
            first_words += f" {begins.year}"
        return f"{first_words} to {last.strftime('%A %d %B %Y')}"
    pattern = "%a %d %b %Y, %H:%M"
    return f"{clock(row.starts_at, org_zone, pattern)} to {clock(row.ends_at, org_zone, pattern)}"


def _chosen_clinician(signed_in: SignedIn, raw: str | None) -> uuid.UUID | None:
    if raw:
        return parse_id(raw, service.NOT_FOUND)
    if signed_in.user.role in service.CLINICIAN_ROLES:
        return signed_in.user.id
    return None


def _require_staff(signed_in: SignedIn) -> None:
    # Clients hold appointment.read on their own appointments; hours are staff's.
    if not signed_in.user.is_staff:
        raise NotFound(service.NOT_FOUND)


def _availability_page(
    request: Request,
    db: DbSession,
    signed_in: SignedIn,
    clinician_id: uuid.UUID | None,
    *,
    error: str | None = None,
    error_form: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    now = utcnow()
    actor = signed_in.actor
    working = (
        service.working_time(db, actor=actor, clinician_id=clinician_id)
        if clinician_id is not None
        else None
    )
    leave_rows = []
    if working is not None:
        for row in working.leave:
            if row.starts_at is None or row.ends_at is None or row.ends_at <= now:
                continue  # past leave no longer changes anything
            booked = service.active_appointments(
                db, clinician_ids=[working.clinician.id], start=row.starts_at, end=row.ends_at
            )
            leave_rows.append((row, len(booked)))
    zone_name, _ = _local(db, signed_in)
    context = _context(
        db,
        signed_in,
        working=working,
        leave_rows=leave_rows,
        leave_text=lambda row: leave_words(row, working.zone if working else "UTC", zone_name),
        clinicians=service.clinicians_of(db, actor) if can_manage(signed_in) else [],
        weekdays=WEEKDAYS,
        saved=request.query_params.get("saved"),
        error=error,
        error_form=error_form,
        values=values or {},
        own=working is not None and working.clinician.id == signed_in.user.id,
    )
    return render(request, "scheduling/availability.html", context, status_code=status_code)


def can_manage(signed_in: SignedIn) -> bool:
    """Whether the signed-in person may change any clinician's hours (not only their own)."""
    return can(signed_in.actor, Action.WAITLIST_MANAGE)


def _back_to(clinician_id: uuid.UUID, saved: str, anchor: str) -> Response:
    return RedirectResponse(
        f"/scheduling/availability?clinician_id={clinician_id}&saved={saved}#{anchor}",
        status_code=303,
    )


@router.get("/scheduling/availability")
def availability_page(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, Action.WAITLIST_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """A clinician's weekly hours and leave, to change (their own; coordinators and the clinical
    lead choose a clinician)."""
    _require_staff(signed_in)
    target = _chosen_clinician(signed_in, request.query_params.get("clinician_id"))
    return _availability_page(request, db, signed_in, target)


def _change_hours(
    request: Request,
    db: DbSession,
    signed_in: SignedIn,
    posted: PostedForm,
    *,
    form_name: str,
    anchor: str,
    change: Callable[[dict[str, str], uuid.UUID], None],
) -> Response:
    """One change to a clinician's hours or leave from its form: the clinician chosen (theirs,
    or any for a coordinator or the lead), ``change`` made, and the page again with the
    message in words beside that form when it is refused."""
    _require_staff(signed_in)
    form = _form(posted)
    target = _chosen_clinician(signed_in, form.get("clinician_id"))
    if target is None:
        raise NotFound(service.NOT_FOUND)
    try:
        with refusable(db):
            change(form, target)
    except InvalidInput as exc:
        return _availability_page(
            request,
            db,
            signed_in,
            target,
            error=exc.message,
            error_form=form_name,
            values=form,
            status_code=exc.status_code,
        )
    return _back_to(target, form_name, anchor)


@router.post("/scheduling/availability/hours")
def availability_add_hours(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, Action.WAITLIST_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """Add weekly hours on one day."""

    def change(form: dict[str, str], target: uuid.UUID) -> None:
        weekday = _weekday(form.get("weekday", ""))
        start = _wall_time(form.get("start", ""), "Start time", "09:00")
        end = _wall_time(form.get("end", ""), "End time", "17:00")
        if end <= start:
            raise InvalidInput(
                "End time: must be after the start time (hours that run past midnight go on "
                "two days)."
            )
        service.add_weekly_hours(
            db, actor=signed_in.actor, clinician_id=target, weekday=weekday, start=start, end=end
        )

    return _change_hours(
        request, db, signed_in, posted, form_name="hours", anchor="hours-heading", change=change
    )


@router.post("/scheduling/availability/extra")
def availability_add_extra(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, Action.WAITLIST_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """Add extra hours on one day (a Saturday clinic, covering a colleague)."""

    def change(form: dict[str, str], target: uuid.UUID) -> None:
        day = _form_day(form.get("extra_day", ""), "Date")
        start = _wall_time(form.get("extra_start", ""), "Start time", "09:00")
        end = _wall_time(form.get("extra_end", ""), "End time", "13:00")
        if end <= start:
            raise InvalidInput("End time: must be after the start time.")
        if day < utcnow().date() - timedelta(days=1):
            raise InvalidInput("Date: extra hours are for today or a day to come.")
        service.add_extra_hours(
            db, actor=signed_in.actor, clinician_id=target, day=day, start=start, end=end
        )

    return _change_hours(
        request, db, signed_in, posted, form_name="extra", anchor="hours-heading", change=change
    )


@router.post("/scheduling/availability/leave")
def availability_add_leave(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, Action.WAITLIST_MANAGE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    posted: PostedForm,
) -> Response:
    """Add leave: whole days, first to last, in the clinician's time zone."""

    def change(form: dict[str, str], target: uuid.UUID) -> None:
        working = service.working_time(db, actor=signed_in.actor, clinician_id=target)
        first = _form_day(form.get("first_day", ""), "First day of leave")
        last = _form_day(form.get("last_day", "") or form.get("first_day", ""), "Last day")
        if last < first:
            raise InvalidInput("Last day: must be on or after the first day of leave.")
        if (last - first).days > 366:
            raise InvalidInput("Last day: leave can be at most a year at a time.")
        note = form.get("note", "").strip()
        if len(note) > 200:
            raise InvalidInput("Note: at most 200 characters.")
        away = Leave.days(first, last, working.zone, note)
        service.add_leave(
            db,
            actor=signed_in.actor,
            clinician_id=target,
            starts_at=away.start,
            ends_at=away.end,
            note=note,
        )

    return _change_hours(
        request, db, signed_in, posted, form_name="leave", anchor="leave-heading", change=change
    )


@router.post("/scheduling/availability/{availability_id}/remove")
def availability_remove(
    permit: Annotated[Permit, requires(Action.APPOINTMENT_READ, Action.WAITLIST_MANAGE)],
    availability_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """Remove one block of hours or one leave."""
    _require_staff(signed_in)
    clinician_id = service.remove_availability(
        db,
        actor=signed_in.actor,
        availability_id=parse_id(availability_id, service.NOT_FOUND),
    )
    return _back_to(clinician_id, "removed", "availability-status")
