"""Scheduling service: organisation rules, clinician profiles, client preferences, availability
and free slots. Services flush, never commit; every read or write of client data is audited.

API
---
- :class:`Rules`, :data:`DEFAULT_RULES`, :func:`rules_for` ``(session, organization_id)`` and
  :func:`set_rules` ``(session, *, user, actor, now, **changes) -> Rules``: the organisation's
  re-screen interval, client change cut-off, reminder offsets, slot length and horizon
  (``waitlist.manage`` to change them).
- :func:`save_clinician_profile` ``(session, *, user, actor, clinician_id, ...)``: codes
  checked against :mod:`alongside.scheduling.vocabulary`; the clinician themself, or
  someone with ``waitlist.manage`` or ``user.manage``.
- :func:`get_preferences` / :func:`save_preferences` ``(session, *, user, actor, client_id,
  now, ...)``: a client's matching needs, wishes and reminder consent per channel; needs
  ``appointment.read`` / ``appointment.book`` on the client; audited.
- :func:`add_weekly_hours`, :func:`add_extra_hours`, :func:`add_leave`,
  :func:`remove_availability`: a clinician's working time (the clinician themself, or someone
  with ``waitlist.manage``: a coordinator or the clinical lead; an administrator manages
  accounts, not hours). :func:`working_time` ``(session, *, actor, clinician_id) -> WorkingTime``
  reads it for the same people; :func:`clinicians_of` ``(session, actor)`` lists the clinicians
  whose hours the actor may change.
- :func:`free_slots` ``(session, clinician_id, start, end, slot_minutes) -> list[Slot]``: via
  :func:`alongside.scheduling.availability.bookable_slots`, minus active appointments.
- :func:`staff_clinician` ``(session, actor, clinician_id) -> User``: a clinician of the actor's
  organisation, or :class:`NotFound`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Protocol, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alongside.errors import InvalidInput, NotFound
from alongside.kit.time import utcnow
from alongside.models import (
    Appointment,
    AuditAction,
    Availability,
    AvailabilityKind,
    Client,
    ClientPreference,
    ClinicianProfile,
    Organization,
    SchedulingRules,
    User,
)
from alongside.models.appointment import INACTIVE_STATUSES
from alongside.models.encrypted import keyring_for
from alongside.models.user import Role
from alongside.scheduling.availability import (
    ExtraHours,
    Leave,
    Slot,
    WeeklyHours,
    bookable_slots,
    resolve_zone,
)
from alongside.scheduling.vocabulary import check_terms
from alongside.security.guard import audit_access, load_or_refuse
from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can

__all__ = [
    "CLINICIAN_ROLES",
    "DEFAULT_RULES",
    "NOT_FOUND",
    "Rules",
    "WorkingTime",
    "active_appointments",
    "add_extra_hours",
    "add_leave",
    "add_weekly_hours",
    "audit_access",
    "clients_by_id",
    "clinicians_of",
    "free_slots",
    "free_slots_for_many",
    "get_preferences",
    "list_availability",
    "profile_for",
    "remove_availability",
    "require_client",
    "rules_for",
    "save_clinician_profile",
    "save_preferences",
    "set_rules",
    "slot_is_offered",
    "staff_clinician",
    "users_by_id",
    "working_time",
]

NOT_FOUND = "There is nothing at this address."
CLINICIAN_ROLES = frozenset({Role.CLINICIAN, Role.CLINICAL_LEAD})
CLIENT_SETTINGS = ("in_person", "telehealth", "either")
# Appointments start and end on 5-minute marks of the clinician's hours.
_GRID_MINUTES = 5


@dataclass(frozen=True)
class Rules:
    """An organisation's scheduling rules (stored in ``scheduling_rules``, or these defaults)."""

    rescreen_interval_days: int = 28
    client_change_cutoff_hours: int = 24
    reminder_offsets_hours: tuple[int, ...] = (48, 2)
    slot_minutes: int = 50
    horizon_days: int = 14

    def __post_init__(self) -> None:
        if not 1 <= self.rescreen_interval_days <= 365:
            raise InvalidInput("rescreen_interval_days: between 1 and 365 days.")
        if not 0 <= self.client_change_cutoff_hours <= 24 * 14:
            raise InvalidInput("client_change_cutoff_hours: between 0 and 336 hours.")
        if any(not 1 <= h <= 24 * 14 for h in self.reminder_offsets_hours):
            raise InvalidInput("reminder_offsets_hours: each between 1 and 336 hours.")
        if len(set(self.reminder_offsets_hours)) != len(self.reminder_offsets_hours):
            raise InvalidInput("reminder_offsets_hours: give each offset once.")
        if not 10 <= self.slot_minutes <= 240:
            raise InvalidInput("slot_minutes: between 10 and 240 minutes.")
        if not 1 <= self.horizon_days <= 90:
            raise InvalidInput("horizon_days: between 1 and 90 days.")


# NHS Talking Therapies reviews waiting clients about monthly; clinics set their own interval.
DEFAULT_RULES = Rules()


def rules_for(session: Session, organization_id: uuid.UUID) -> Rules:
    """The organisation's rules, or the defaults when it has set none."""
    row = session.get(SchedulingRules, organization_id)
    if row is None:
        return DEFAULT_RULES
    return Rules(
        rescreen_interval_days=row.rescreen_interval_days,
        client_change_cutoff_hours=row.client_change_cutoff_hours,
        reminder_offsets_hours=tuple(row.reminder_offsets_hours),
        slot_minutes=row.slot_minutes,
        horizon_days=row.horizon_days,
    )


def set_rules(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    rescreen_interval_days: int | None = None,
    client_change_cutoff_hours: int | None = None,
    reminder_offsets_hours: Sequence[int] | None = None,
    slot_minutes: int | None = None,
    horizon_days: int | None = None,
) -> Rules:
    """Change some of the organisation's rules (``waitlist.manage``); returns all of them."""
    if not can(actor, Action.WAITLIST_MANAGE):
        raise NotFound(NOT_FOUND)
    current = rules_for(session, actor.organization_id)
    changed = replace(
        current,
        rescreen_interval_days=rescreen_interval_days or current.rescreen_interval_days,
        client_change_cutoff_hours=(
            current.client_change_cutoff_hours
            if client_change_cutoff_hours is None
            else client_change_cutoff_hours
        ),
        reminder_offsets_hours=(
            current.reminder_offsets_hours
            if reminder_offsets_hours is None
            else tuple(sorted(reminder_offsets_hours, reverse=True))
        ),
        slot_minutes=slot_minutes or current.slot_minutes,
        horizon_days=horizon_days or current.horizon_days,
    )
    row = session.get(SchedulingRules, actor.organization_id)
    if row is None:
        row = SchedulingRules(organization_id=actor.organization_id)
        session.add(row)
    row.rescreen_interval_days = changed.rescreen_interval_days
    row.client_change_cutoff_hours = changed.client_change_cutoff_hours
    row.reminder_offsets_hours = list(changed.reminder_offsets_hours)
    row.slot_minutes = changed.slot_minutes
    row.horizon_days = changed.horizon_days
    row.updated_at = now
    session.flush()
    return changed


# ---------------------------------------------------------------------------------------------
# Clinicians


def staff_clinician(session: Session, actor: Actor, clinician_id: uuid.UUID) -> User:
    """An active clinician (or clinical lead) of the actor's organisation, or NotFound."""
    clinician = session.get(User, clinician_id)
    if (
        clinician is None
        or clinician.organization_id != actor.organization_id
        or clinician.role not in CLINICIAN_ROLES
        or not clinician.is_active
    ):
        raise NotFound("No clinician with this id is available to you.")
    return clinician


def _may_edit_clinician(actor: Actor, clinician_id: uuid.UUID) -> bool:
    return (
        actor.user_id == clinician_id
        or can(actor, Action.WAITLIST_MANAGE)
        or can(actor, Action.USER_MANAGE)
    )


def organisation_zone(session: Session, organization_id: uuid.UUID) -> str:
    """The clinic's time zone: a clinician without a profile works on their clinic's clock."""
    organization = session.get(Organization, organization_id)
    return organization.timezone if organization is not None and organization.timezone else "UTC"


def _zone_of(session: Session, clinician: User, profile: ClinicianProfile | None) -> str:
    return (
        profile.timezone
        if profile is not None
        else organisation_zone(session, clinician.organization_id)
    )


def profile_for(session: Session, clinician_id: uuid.UUID) -> ClinicianProfile:
    """The clinician's profile, created empty (their clinic's zone, both settings) on first
    use."""
    profile = session.get(ClinicianProfile, clinician_id)
    if profile is None:
        clinician = session.get(User, clinician_id)
        zone = organisation_zone(session, clinician.organization_id) if clinician else "UTC"
        profile = ClinicianProfile(
            user_id=clinician_id,
            specialties=[],
            languages=[],
            modalities=[],
            populations=[],
            caseload_capacity=25,
            in_person=True,
            telehealth=True,
            timezone=zone,
        )
        session.add(profile)
        session.flush()
    return profile


def save_clinician_profile(
    session: Session,
    *,
    actor: Actor,
    clinician_id: uuid.UUID,
    specialties: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    modalities: Sequence[str] | None = None,
    populations: Sequence[str] | None = None,
    gender: str | None = None,
    in_person: bool | None = None,
    telehealth: bool | None = None,
    timezone: str | None = None,
    caseload_capacity: int | None = None,
) -> ClinicianProfile:
    """Update the given parts of a clinician's profile; unknown codes are refused by name."""
    clinician = staff_clinician(session, actor, clinician_id)
    if not _may_edit_clinician(actor, clinician.id):
        raise NotFound("No clinician with this id is available to you.")
    profile = profile_for(session, clinician.id)
    for kind, values, attribute in (
        ("specialty", specialties, "specialties"),
        ("language", languages, "languages"),
        ("modality", modalities, "modalities"),
        ("population", populations, "populations"),
    ):
        if values is not None:
            check_terms(kind, values)
            setattr(profile, attribute, sorted(set(values)))
    if gender is not None:
        if gender:
            check_terms("gender", [gender])
        profile.gender = gender or None
    if in_person is not None:
        profile.in_person = in_person
    if telehealth is not None:
        profile.telehealth = telehealth
    if not profile.in_person and not profile.telehealth:
        raise InvalidInput("A clinician must see clients in person, by telehealth or both.")
    if timezone is not None:
        resolve_zone(timezone)
        profile.timezone = timezone
    if caseload_capacity is not None:
        if not 0 <= caseload_capacity <= 500:
            raise InvalidInput("caseload_capacity: between 0 and 500 clients.")
        profile.caseload_capacity = caseload_capacity
    session.flush()
    return profile


# ---------------------------------------------------------------------------------------------
# Client preferences


def require_client(
    session: Session,
    *,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    action: Action,
    now: datetime,
) -> Client:
    """The client if the actor may take ``action`` on them; otherwise an audited 404."""
    return load_or_refuse(
        session,
        Client,
        client_id,
        user=user,
        actor=actor,
        resource_type="client",
        allowed=lambda c: can(
            actor, action, Resource(organization_id=c.organization_id, client_id=c.id)
        ),
        now=now,
    )


class AboutOneClient(Protocol):
    """A row about one client: its own id, the client's and the organisation's."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def client_id(self) -> uuid.UUID: ...

    @property
    def organization_id(self) -> uuid.UUID: ...


def audit_row(
    session: Session,
    action: AuditAction,
    resource_type: str,
    row: AboutOneClient,
    *,
    user: User | None,
    actor: Actor | None,
    now: datetime,
) -> None:
    """:func:`audit_access` for one row about one client (an appointment, a waitlist entry)."""
    audit_access(
        session,
        user=user,
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=row.id,
        client_id=row.client_id,
        organization_id=row.organization_id,
        now=now,
    )


def get_preferences(
    session: Session, *, user: User, actor: Actor, client_id: uuid.UUID, now: datetime
) -> ClientPreference:
    """The client's preferences (defaults when none were saved); an audited read."""
    client = require_client(
        session,
        user=user,
        actor=actor,
        client_id=client_id,
        action=Action.APPOINTMENT_READ,
        now=now,
    )
    preference = session.get(ClientPreference, client.id) or _default_preferences(client)
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.READ,
        resource_type="client_preference",
        resource_id=client.id,
        client_id=client.id,
        organization_id=client.organization_id,
        now=now,
    )
    return preference


def _default_preferences(client: Client) -> ClientPreference:
    return ClientPreference(
        client_id=client.id,
        organization_id=client.organization_id,
        language=None,
        modality=None,
        modality_required=False,
        preferred_gender=None,
        setting="either",
        site_ids=[],
        times_of_day=[],
        population=None,
        time_zone=None,
        remind_email=False,
        remind_webhook=False,
    )


def save_preferences(
    session: Session,
    *,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    now: datetime,
    language: str | None = None,
    modality: str | None = None,
    modality_required: bool = False,
    preferred_gender: str | None = None,
    setting: str = "either",
    site_ids: Sequence[uuid.UUID] = (),
    times_of_day: Sequence[str] = (),
    population: str | None = None,
    specialty: str | None = None,
    time_zone: str | None = None,
    remind_email: bool = False,
    remind_webhook: bool = False,
) -> ClientPreference:
    """Replace the client's preferences (``appointment.book`` on them); audited."""
    client = require_client(
        session,
        user=user,
        actor=actor,
        client_id=client_id,
        action=Action.APPOINTMENT_BOOK,
        now=now,
    )
    for kind, value in (
        ("language", language),
        ("modality", modality),
        ("gender", preferred_gender),
        ("population", population),
        ("specialty", specialty),
    ):
        if value:
            check_terms(kind, [value])
    check_terms("time_of_day", times_of_day)
    if setting not in CLIENT_SETTINGS:
        raise InvalidInput(f"setting: one of {', '.join(CLIENT_SETTINGS)}, not {setting!r}.")
    if modality_required and not modality:
        raise InvalidInput("modality_required: choose the modality that is required.")
    if time_zone:
        resolve_zone(time_zone)
    preference = session.get(ClientPreference, client.id)
    if preference is None:
        preference = _default_preferences(client)
        session.add(preference)
    preference.language = language or None
    preference.modality = modality or None
    preference.modality_required = modality_required
    preference.preferred_gender = preferred_gender or None
    preference.setting = setting
    preference.site_ids = sorted(str(s) for s in set(site_ids))
    preference.times_of_day = sorted(set(times_of_day))
    preference.population = population or None
    preference.specialty = specialty or None
    preference.time_zone = time_zone or None
    preference.remind_email = remind_email
    preference.remind_webhook = remind_webhook
    preference.updated_at = now
    session.flush()
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.UPDATE,
        resource_type="client_preference",
        resource_id=client.id,
        client_id=client.id,
        organization_id=client.organization_id,
        now=now,
    )
    return preference


# ---------------------------------------------------------------------------------------------
# Availability


def _editable_clinician(session: Session, actor: Actor, clinician_id: uuid.UUID) -> User:
    clinician = staff_clinician(session, actor, clinician_id)
    if actor.user_id != clinician.id and not can(actor, Action.WAITLIST_MANAGE):
        raise NotFound("No clinician with this id is available to you.")
    return clinician


@dataclass(frozen=True)
class WorkingTime:
    """A clinician's hours and leave as their page shows them, in their own time zone."""

    clinician: User
    zone: str
    rows: list[Availability]

    @property
    def weekly(self) -> list[Availability]:
        """Recurring hours, Monday first."""
        return [r for r in self.rows if r.kind is AvailabilityKind.WEEKLY]

    @property
    def extra(self) -> list[Availability]:
        """One-off extra hours, by day."""
        return [r for r in self.rows if r.kind is AvailabilityKind.EXTRA]

    @property
    def leave(self) -> list[Availability]:
        """Leave, earliest first."""
        rows = [r for r in self.rows if r.kind is AvailabilityKind.LEAVE]
        return sorted(rows, key=lambda r: r.starts_at or datetime.min.replace(tzinfo=UTC))


def working_time(session: Session, *, actor: Actor, clinician_id: uuid.UUID) -> WorkingTime:
    """The hours and leave of a clinician whose working time the actor may change (themself,
    or any clinician of the organisation for ``waitlist.manage``), or NotFound."""
    clinician = _editable_clinician(session, actor, clinician_id)
    profile = session.get(ClinicianProfile, clinician.id)
    zone = _zone_of(session, clinician, profile)
    return WorkingTime(clinician, zone, list_availability(session, [clinician.id]))


def clinicians_of(session: Session, actor: Actor) -> list[User]:
    """The active clinicians of the organisation whose hours the actor may change, by name:
    all of them for ``waitlist.manage``, otherwise the actor alone (if a clinician)."""
    query = (
        select(User)
        .where(User.organization_id == actor.organization_id)
        .where(User.role.in_(sorted(CLINICIAN_ROLES)))
        .where(User.is_active.is_(True))
    )
    if not can(actor, Action.WAITLIST_MANAGE):
        query = query.where(User.id == actor.user_id)
    return sorted(session.scalars(query), key=lambda u: u.display_name.casefold())


def _hours(start: time, end: time) -> None:
    if end <= start:
        raise InvalidInput(f"Hours must end after they start ({start} to {end}).")


def _audit_availability(
    session: Session, actor: Actor, row: Availability, action: AuditAction
) -> None:
    """Hours and leave decide who is offered to clients: who changed them is in the log."""
    audit_access(
        session,
        user=session.get(User, actor.user_id),
        actor=None,
        action=action,
        resource_type="availability",
        resource_id=row.id,
        client_id=None,
        organization_id=row.organization_id,
        now=utcnow(),
    )


def _add_availability(
    session: Session,
    actor: Actor,
    clinician: User,
    kind: AvailabilityKind,
    *,
    weekday: int | None = None,
    day: date | None = None,
    local_start: time | None = None,
    local_end: time | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    note: str = "",
) -> Availability:
    row = Availability(
        organization_id=clinician.organization_id,
        clinician_id=clinician.id,
        kind=kind,
        weekday=weekday,
        day=day,
        local_start=local_start,
        local_end=local_end,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note,
    )
    session.add(row)
    session.flush()
    _audit_availability(session, actor, row, AuditAction.CREATE)
    return row


def add_weekly_hours(
    session: Session, *, actor: Actor, clinician_id: uuid.UUID, weekday: int, start: time, end: time
) -> Availability:
    """Recurring hours on a weekday (0 = Monday), wall-clock in the clinician's zone."""
    clinician = _editable_clinician(session, actor, clinician_id)
    WeeklyHours(weekday, start, end)  # validates, with the pure module's messages
    return _add_availability(
        session,
        actor,
        clinician,
        AvailabilityKind.WEEKLY,
        weekday=weekday,
        local_start=start,
        local_end=end,
    )


def add_extra_hours(
    session: Session, *, actor: Actor, clinician_id: uuid.UUID, day: date, start: time, end: time
) -> Availability:
    """One-off extra hours on a local date."""
    clinician = _editable_clinician(session, actor, clinician_id)
    _hours(start, end)
    ExtraHours(day, start, end)
    return _add_availability(
        session, actor, clinician, AvailabilityKind.EXTRA, day=day, local_start=start, local_end=end
    )


def add_leave(
    session: Session,
    *,
    actor: Actor,
    clinician_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
) -> Availability:
    """Time away; no slot touching it is offered (booked appointments are not moved)."""
    clinician = _editable_clinician(session, actor, clinician_id)
    Leave(starts_at, ends_at, note)
    if len(note) > 200:
        raise InvalidInput("A note about the leave is at most 200 characters.")
    return _add_availability(
        session,
        actor,
        clinician,
        AvailabilityKind.LEAVE,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note.strip(),
    )


def remove_availability(session: Session, *, actor: Actor, availability_id: uuid.UUID) -> uuid.UUID:
    """Delete one block of hours or leave; returns the clinician's id."""
    row = session.get(Availability, availability_id)
    if row is None or row.organization_id != actor.organization_id:
        raise NotFound(NOT_FOUND)
    clinician = _editable_clinician(session, actor, row.clinician_id)
    _audit_availability(session, actor, row, AuditAction.DELETE)
    session.delete(row)
    session.flush()
    return clinician.id


def list_availability(session: Session, clinician_ids: Iterable[uuid.UUID]) -> list[Availability]:
    """Availability rows of these clinicians, weekly hours first."""
    ids = list(set(clinician_ids))
    if not ids:
        return []
    rows = session.scalars(select(Availability).where(Availability.clinician_id.in_(ids)))
    return sorted(
        rows,
        key=lambda r: (
            str(r.clinician_id),
            r.kind.value,
            r.weekday if r.weekday is not None else -1,
            r.day or date.min,
            r.local_start or time.min,
            r.starts_at.isoformat() if r.starts_at else "",
        ),
    )


_T = TypeVar("_T")


def _set(value: _T | None) -> _T:
    # The add_* functions write every field their kind needs; a gap is a corrupt row.
    if value is None:
        raise InvalidInput("An availability row is missing a time; remove it and add it again.")
    return value


def _pure_availability(
    rows: Iterable[Availability],
) -> tuple[list[WeeklyHours], list[Leave | ExtraHours]]:
    weekly: list[WeeklyHours] = []
    exceptions: list[Leave | ExtraHours] = []
    for row in rows:
        if row.kind is AvailabilityKind.WEEKLY:
            weekly.append(
                WeeklyHours(_set(row.weekday), _set(row.local_start), _set(row.local_end))
            )
        elif row.kind is AvailabilityKind.EXTRA:
            exceptions.append(ExtraHours(_set(row.day), _set(row.local_start), _set(row.local_end)))
        else:
            exceptions.append(Leave(_set(row.starts_at), _set(row.ends_at), row.note))
    return weekly, exceptions


def active_appointments(
    session: Session,
    *,
    clinician_ids: Iterable[uuid.UUID] = (),
    client_ids: Iterable[uuid.UUID] = (),
    start: datetime,
    end: datetime,
) -> list[Appointment]:
    """Active appointments of these clinicians or clients overlapping ``[start, end)``."""
    clinicians, clients = list(set(clinician_ids)), list(set(client_ids))
    if not clinicians and not clients:
        return []
    who = []
    if clinicians:
        who.append(Appointment.clinician_id.in_(clinicians))
    if clients:
        who.append(Appointment.client_id.in_(clients))
    query = (
        select(Appointment)
        .where(or_(*who))
        .where(Appointment.status.not_in(INACTIVE_STATUSES))
        .where(Appointment.starts_at < end)
        .where(Appointment.ends_at > start)
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return list(session.scalars(query))


def free_slots_for_many(
    session: Session,
    clinicians: Sequence[User],
    start: datetime,
    end: datetime,
    slot_minutes: int,
) -> dict[uuid.UUID, list[Slot]]:
    """Free slots of each clinician in ``[start, end)`` (three queries for any number)."""
    ids = [c.id for c in clinicians]
    rows_by: dict[uuid.UUID, list[Availability]] = {i: [] for i in ids}
    for row in list_availability(session, ids):
        rows_by[row.clinician_id].append(row)
    busy_by: dict[uuid.UUID, list[Appointment]] = {i: [] for i in ids}
    for appointment in active_appointments(session, clinician_ids=ids, start=start, end=end):
        busy_by[appointment.clinician_id].append(appointment)
    profiles = {
        p.user_id: p
        for p in session.scalars(select(ClinicianProfile).where(ClinicianProfile.user_id.in_(ids)))
    }
    result: dict[uuid.UUID, list[Slot]] = {}
    for clinician in clinicians:
        clinician_id = clinician.id
        weekly, exceptions = _pure_availability(rows_by[clinician_id])
        zone = _zone_of(session, clinician, profiles.get(clinician_id))
        result[clinician_id] = bookable_slots(
            weekly, exceptions, zone, start, end, slot_minutes, busy_by[clinician_id]
        )
    return result


def free_slots(
    session: Session, clinician: User, start: datetime, end: datetime, slot_minutes: int
) -> list[Slot]:
    """The clinician's free slots in ``[start, end)``."""
    return free_slots_for_many(session, [clinician], start, end, slot_minutes)[clinician.id]


def slot_is_offered(
    session: Session, clinician: User, starts_at: datetime, ends_at: datetime
) -> bool:
    """Whether ``[starts_at, ends_at)`` lies within the clinician's hours and off leave
    (appointments aside: overlaps are the database's to refuse)."""
    minutes = (ends_at - starts_at).total_seconds() / 60
    if minutes <= 0 or minutes % _GRID_MINUTES:
        return False
    weekly, exceptions = _pure_availability(list_availability(session, [clinician.id]))
    zone = _zone_of(session, clinician, session.get(ClinicianProfile, clinician.id))
    # Covered by working time exactly when every 5-minute piece of it is a bookable slot.
    pieces = bookable_slots(weekly, exceptions, zone, starts_at, ends_at, _GRID_MINUTES)
    return len(pieces) == int(minutes // _GRID_MINUTES) and pieces[0].start == starts_at


def clients_by_id(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Client]:
    """Clients by id, their keys preloaded (one query each); callers have scoped the ids."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    keyring_for(session).preload(session, wanted)
    return {c.id: c for c in session.scalars(select(Client).where(Client.id.in_(wanted)))}


def users_by_id(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, User]:
    """Users by id (one query)."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}
