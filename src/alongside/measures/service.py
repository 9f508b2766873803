"""Measurement-based care: plans of repeat measures, trends, the attention list, due links.

API (services flush, never commit; routes, pages and the CLI own the transaction)
--------------------------------------------------------------------------------
- :func:`client_measures` ``(session, *, user, actor, client_id, now) -> ClientMeasures``: a
  client's trends per instrument, other measures (C-SSRS screener), the plan, and whether the
  actor may edit it. Needs ``clinical.read`` on the client (the care team, a clinical lead on
  it, or break-glass); anyone else gets :class:`~alongside.errors.NotFound`. Audited.
- :func:`set_plan` ``(session, *, user, actor, client_id, instruments, cadence,
  interval_days=None, lead_hours=48, active=True, now) -> MeasurementPlan``: create or change
  the client's plan. Only a clinician or clinical lead *on the care team* may (the gate is
  ``intake.review``: the people who review the answers; break-glass is read-only). Audited.
- :func:`attention_list` ``(session, *, user, actor, now) -> list[AttentionEntry]``: the
  actor's care-team clients whose latest measure is a reliable deterioration or carries a
  critical item, newest first (:func:`alongside.measures.trends.needs_attention`). Audited as
  one list access.
- :func:`due_measures` ``(session, *, now, link_base) -> DueReport``: for every active plan
  with a due time not yet acted on, an intake link with the plan's instruments
  (:func:`alongside.intake.service.create_intake`, in the name of the plan's clinician, who
  reviews the answers) and, when the client has an email address and has not withdrawn
  consent to reminders, the link by email through the outbox. Idempotent per plan and due
  time: a compare-and-set on ``last_due_at`` claims the due time before anything is created,
  and the outbox key is
  ``measures_due:<plan id>:<due time>``. The intake flow still shows its consent page and the
  optional "in your own words" page (the intake API has no switch for them; the words may be
  left empty).

- :func:`send_measures_now` ``(session, *, user, actor, client_id, instruments, now,
  link_base, send_by=None) -> SentMeasures``: a repeat-measure link at once, outside the plan's
  rhythm (the same people as :func:`set_plan`): an intake link with only those questionnaires,
  reviewed by the sender, sent through the outbox by email or text message as ``send_by``
  says (``"email"``, ``"sms"``, ``"link"``: shown once, to give it another way; None: by email
  when the record has an address, as the plan's reminders go). Nothing goes to a client who
  withdrew consent to reminders (:func:`alongside.privacy.consents.reminders_withdrawn_at`):
  asked for, it is refused in words; by default the link is shown. Whether text messages are
  set up at all is the caller's to check (settings). Audited.
- :func:`contact_options` ``(session, client) -> ContactOptions``: what the send form may
  offer for a client (an address, a number a text can go to, a withdrawal of consent).

Cadence (:mod:`alongside.measures.cadence`): *before each session* uses the client's booked
appointments (``lead_hours`` before each start); *every N days* counts from the plan's
``anchor_at`` (reset when the cadence or interval changes).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.clients.service import get_readable_client
from alongside.errors import InvalidInput, NotFound
from alongside.instruments import get_instrument, list_instruments
from alongside.intake.service import MAX_EXPIRY, create_intake
from alongside.measures.cadence import interval_due, session_due
from alongside.measures.paired import PairedOutcome, course_outcome
from alongside.measures.trends import (
    Attention,
    InstrumentTrend,
    Measurement,
    client_trends,
    has_trend,
    needs_attention,
)
from alongside.models import (
    Appointment,
    AppointmentStatus,
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    CareTeam,
    Client,
    MeasurementPlan,
    Organization,
    Role,
    Score,
    User,
)
from alongside.models.encrypted import ERASED, keyring_for
from alongside.models.measurement_plan import Cadence
from alongside.notify.phone import sms_number
from alongside.notify.service import enqueue
from alongside.privacy.consents import reminders_withdrawn_at
from alongside.security.guard import audit_access, load_or_refuse
from alongside.security.permissions import Action, role_allows
from alongside.security.policy import Actor, Resource, can

NOT_FOUND = "No client with this id is available to you."
NOTHING_HERE = "There is nothing at this address."
REMINDER_KIND = "measures_due"
DEFAULT_INSTRUMENTS: tuple[str, ...] = ("phq9", "gad7")
DEFAULT_LEAD_HOURS = 48
MAX_INTERVAL_DAYS = 180
MAX_LEAD_HOURS = 14 * 24
# An every-N-days link stays open for the interval, at most two weeks (the intake default).
MAX_INTERVAL_EXPIRY = timedelta(days=14)
MIN_EXPIRY = timedelta(hours=1)
# A before-session link stays open until a day after the session starts, so it can be done in
# the waiting room or just after.
AFTER_SESSION = timedelta(days=1)
CLINICAL_ROLES = frozenset({Role.CLINICIAN, Role.CLINICAL_LEAD})


@dataclass(frozen=True)
class ClientMeasures:
    """What the measures page shows for one client."""

    client: Client
    trends: list[InstrumentTrend]
    other: list[Measurement]
    plan: MeasurementPlan | None
    attention: Attention
    can_edit_plan: bool
    # NHS Talking Therapies outcome on PHQ-9 and GAD-7 together (None without two of each).
    paired: PairedOutcome | None = None


@dataclass(frozen=True)
class AttentionEntry:
    """One client on the attention list and why."""

    client_id: uuid.UUID
    client_name: str
    reasons: tuple[str, ...]
    latest_at: datetime


@dataclass(frozen=True)
class DueLink:
    """What one due plan produced: a link (and a message), or why nothing was sent."""

    plan_id: uuid.UUID
    client_id: uuid.UUID
    due_at: datetime
    intake_id: uuid.UUID | None = None
    message_id: uuid.UUID | None = None
    skipped: str | None = None


@dataclass
class DueReport:
    """The links one run of :func:`due_measures` created, and the due plans it skipped."""

    created: list[DueLink] = field(default_factory=list)
    skipped: list[DueLink] = field(default_factory=list)


def _measurements(
    session: Session, client_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Measurement]]:
    """Stored scores as trend measurements, per client (no decryption: totals, bands, flags)."""
    out: dict[uuid.UUID, list[Measurement]] = {client_id: [] for client_id in client_ids}
    if not client_ids:
        return out
    rows = session.execute(
        select(
            Score.client_id,
            Score.instrument_id,
            Score.scored_at,
            Score.total,
            Score.severity,
            Score.flags,
        )
        .where(Score.client_id.in_(list(client_ids)))
        .order_by(Score.scored_at, Score.id)
    )
    for client_id, instrument_id, scored_at, total, severity, flags in rows:
        out[client_id].append(
            Measurement(
                instrument_id=instrument_id,
                measured_at=scored_at,
                total=total,
                severity=severity,
                flags=tuple(flags or ()),
            )
        )
    return out


def may_edit_plan(actor: Actor, client: Client) -> bool:
    """Whether the actor may set this client's plan: a clinician or lead on the care team."""
    resource = Resource(organization_id=client.organization_id, client_id=client.id)
    return can(actor, Action.INTAKE_REVIEW, resource)


def plan_of(session: Session, client_id: uuid.UUID) -> MeasurementPlan | None:
    """The client's plan, if one was set (callers have checked access)."""
    return session.scalar(select(MeasurementPlan).where(MeasurementPlan.client_id == client_id))


def _read_measurements(
    session: Session, user: User, actor: Actor, client: Client, now: datetime
) -> list[Measurement]:
    # The caller has checked clinical read; every read of a client's measures is audited.
    measurements = _measurements(session, [client.id])[client.id]
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.READ,
        resource_type="measures",
        resource_id=client.id,
        client_id=client.id,
        organization_id=client.organization_id,
        now=now,
    )
    return measurements


def client_measures(
    session: Session, *, user: User, actor: Actor, client_id: uuid.UUID, now: datetime
) -> ClientMeasures:
    """A client's trends, other measures and plan, for someone with clinical read on them."""
    client = get_readable_client(session, user, actor, client_id, now, action=Action.CLINICAL_READ)
    measurements = _read_measurements(session, user, actor, client, now)
    other = [m for m in measurements if not has_trend(m.instrument_id)]
    other.sort(key=lambda m: m.measured_at, reverse=True)

    def totals(instrument_id: str) -> list[float]:
        series = sorted(
            (m for m in measurements if m.instrument_id == instrument_id and m.total is not None),
            key=lambda m: m.measured_at,
        )
        return [float(m.total) for m in series if m.total is not None]

    return ClientMeasures(
        client=client,
        trends=client_trends(measurements),
        other=other,
        plan=plan_of(session, client.id),
        attention=needs_attention(measurements),
        can_edit_plan=may_edit_plan(actor, client),
        paired=course_outcome(totals("phq9"), totals("gad7")),
    )


def client_summary(
    session: Session, *, user: User, actor: Actor, client: Client, now: datetime
) -> list[InstrumentTrend] | None:
    """Trends for the client page's section, or None when the actor has no clinical read on
    this client (the page then shows no section; the client read itself was checked)."""
    resource = Resource(organization_id=client.organization_id, client_id=client.id)
    if not can(actor, Action.CLINICAL_READ, resource):
        return None
    measurements = _read_measurements(session, user, actor, client, now)
    return client_trends(measurements)


def _clean_plan(
    instruments: Sequence[str],
    cadence: str,
    interval_days: int | None,
    lead_hours: int | None,
) -> tuple[list[str], Cadence, int | None, int]:
    known = list_instruments()
    chosen = [name.strip() for name in instruments if name and name.strip()]
    if not chosen:
        raise InvalidInput("instruments: choose at least one questionnaire to repeat.")
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise InvalidInput(f"instruments: unknown {', '.join(unknown)}; known: {', '.join(known)}")
    ordered = sorted(set(chosen), key=known.index)
    try:
        parsed = Cadence(cadence)
    except ValueError:
        raise InvalidInput(
            "cadence: choose 'before_session' (before each session) or 'interval' (every N days)."
        ) from None
    lead = DEFAULT_LEAD_HOURS if lead_hours is None else lead_hours
    if parsed is Cadence.INTERVAL:
        if interval_days is None or not 1 <= interval_days <= MAX_INTERVAL_DAYS:
            raise InvalidInput(
                f"interval_days: every how many days, a whole number from 1 to {MAX_INTERVAL_DAYS}."
            )
    else:
        interval_days = None
        if not 1 <= lead <= MAX_LEAD_HOURS:
            raise InvalidInput(
                f"lead_hours: how many hours before the session, from 1 to {MAX_LEAD_HOURS}."
            )
    return ordered, parsed, interval_days, lead


def set_plan(
    session: Session,
    *,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    instruments: Sequence[str],
    cadence: str,
    interval_days: int | None = None,
    lead_hours: int | None = DEFAULT_LEAD_HOURS,
    active: bool = True,
    now: datetime,
) -> MeasurementPlan:
    """Create or change a client's plan (a clinician or lead on the care team only)."""
    client = load_or_refuse(
        session,
        Client,
        client_id,
        user=user,
        actor=actor,
        resource_type="measurement_plan",
        allowed=lambda c: may_edit_plan(actor, c),
        now=now,
    )
    chosen, parsed, days, lead = _clean_plan(instruments, cadence, interval_days, lead_hours)
    plan = plan_of(session, client.id)
    action = AuditAction.UPDATE
    if plan is None:
        action = AuditAction.CREATE
        plan = MeasurementPlan(
            organization_id=client.organization_id,
            client_id=client.id,
            anchor_at=now,
        )
        session.add(plan)
    elif plan.cadence is not parsed or plan.interval_days != days:
        # A new rhythm counts from today; last_due_at stays, so nothing already sent repeats.
        plan.anchor_at = now
    plan.instruments = chosen
    plan.cadence = parsed
    plan.interval_days = days
    plan.lead_hours = lead
    plan.active = active
    plan.set_by_id = user.id
    plan.updated_at = now
    session.flush()
    audit_access(
        session,
        user=user,
        actor=actor,
        action=action,
        resource_type="measurement_plan",
        resource_id=plan.id,
        client_id=client.id,
        organization_id=client.organization_id,
        now=now,
    )
    return plan


def attention_list(
    session: Session, *, user: User, actor: Actor, now: datetime
) -> list[AttentionEntry]:
    """The actor's care-team clients whose latest measures need attention, newest first."""
    if not role_allows(str(actor.role), Action.CLINICAL_READ) or (
        actor.allowed_actions is not None and Action.CLINICAL_READ not in actor.allowed_actions
    ):
        raise NotFound(NOTHING_HERE)
    # "Their clients": the care team, not clients opened by break-glass.
    client_ids = sorted(actor.care_team_client_ids)
    clients = list(
        session.scalars(
            select(Client)
            .where(Client.organization_id == actor.organization_id)
            .where(Client.id.in_(client_ids))
        )
    )
    by_client = _measurements(session, [c.id for c in clients])
    flagged: list[tuple[Client, Attention]] = []
    for client in clients:
        attention = needs_attention(by_client[client.id])
        if attention and attention.latest_at is not None:
            flagged.append((client, attention))
    keyring_for(session).preload(session, [client.id for client, _ in flagged])
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.LIST,
        resource_type="measures_attention",
        resource_id=None,
        client_id=None,
        organization_id=actor.organization_id,
        now=now,
    )
    entries = [
        AttentionEntry(
            client_id=client.id,
            client_name=f"{client.given_name} {client.family_name}",
            reasons=attention.reasons,
            latest_at=attention.latest_at,
        )
        for client, attention in flagged
        if attention.latest_at is not None
    ]
    entries.sort(key=lambda e: (e.latest_at, str(e.client_id)), reverse=True)
    return entries


def _on_team(session: Session, client_id: uuid.UUID, user_id: uuid.UUID | None) -> User | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.role not in CLINICAL_ROLES:
        return None
    member = session.scalar(
        select(CareTeam.id)
        .where(CareTeam.client_id == client_id)
        .where(CareTeam.clinician_id == user_id)
    )
    return user if member is not None else None


def _reviewer_for(
    session: Session, plan: MeasurementPlan, appointment_clinician: uuid.UUID | None
) -> User | None:
    """Who the link is created for: the session's clinician, the plan's, or another on the
    care team; None when no active clinician of the care team is left."""
    for candidate in (appointment_clinician, plan.set_by_id):
        user = _on_team(session, plan.client_id, candidate)
        if user is not None:
            return user
    team = session.scalars(
        select(CareTeam.clinician_id)
        .where(CareTeam.client_id == plan.client_id)
        .order_by(CareTeam.created_at, CareTeam.id)
    )
    for member_id in team:
        user = _on_team(session, plan.client_id, member_id)
        if user is not None:
            return user
    return None


def _due_for(
    session: Session, plan: MeasurementPlan, now: datetime
) -> tuple[datetime, uuid.UUID | None] | None:
    """The plan's due time at ``now`` not yet acted on, with the session's clinician if any."""
    if plan.cadence is Cadence.INTERVAL:
        assert plan.interval_days is not None  # noqa: S101 - set_plan requires it
        due = interval_due(plan.anchor_at, plan.interval_days, now, plan.last_due_at)
        return None if due is None else (due, None)
    lead = timedelta(hours=plan.lead_hours)
    upcoming = list(
        session.execute(
            select(Appointment.starts_at, Appointment.clinician_id)
            .where(Appointment.client_id == plan.client_id)
            .where(Appointment.status == AppointmentStatus.BOOKED)
            .where(Appointment.starts_at > now)
            .where(Appointment.starts_at <= now + lead)
        )
    )
    due = session_due([start for start, _ in upcoming], lead, now, plan.last_due_at)
    if due is None:
        return None
    clinician = next(clinician for start, clinician in upcoming if start == due)
    return due, clinician


def _claim(session: Session, plan: MeasurementPlan, due: datetime) -> bool:
    """Move ``last_due_at`` to ``due`` only if no run did yet (one link per due time)."""
    moved = session.execute(
        update(MeasurementPlan)
        .where(MeasurementPlan.id == plan.id)
        .where(or_(MeasurementPlan.last_due_at.is_(None), MeasurementPlan.last_due_at < due))
        .values(last_due_at=due)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return False
    plan.last_due_at = due
    return True


def _expiry(plan: MeasurementPlan, due: datetime, now: datetime) -> timedelta:
    if plan.cadence is Cadence.INTERVAL:
        assert plan.interval_days is not None  # noqa: S101 - set_plan requires it
        wanted = min(timedelta(days=plan.interval_days), MAX_INTERVAL_EXPIRY)
    else:
        wanted = due + AFTER_SESSION - now
    return max(MIN_EXPIRY, min(wanted, MAX_EXPIRY))


def reminder_text(link: str, instruments: Sequence[str], session_at: datetime | None) -> str:
    """The email the client gets: the link and what it asks, nothing about their scores."""
    names = ", ".join(get_instrument(name).short_name for name in instruments)
    when = (
        f"before your session on {session_at.strftime('%A %d %B at %H:%M')} UTC"
        if session_at is not None
        else "for your clinician's regular check-in"
    )
    return (
        "Hello,\n\n"
        f"Your clinic asks you to answer a few short questionnaires {when} ({names}). "
        "It takes a few minutes and helps you and your clinician see how things are going.\n\n"
        f"Open this private link (it is for you only; please do not forward it):\n{link}\n\n"
        "If you are in crisis or thinking about harming yourself, do not wait for your "
        "session: contact your local emergency number or crisis line now.\n"
    )


SEND_WAYS = frozenset({"email", "sms", "link"})
NO_EMAIL = (
    "Send by email: this client has no email address on their record. Add one on their page, "
    "or choose another way to send the questionnaires."
)
NO_MOBILE = (
    "Send by text message: this client has no mobile number on their record that a text can "
    "go to. Add one on their page, or choose another way to send the questionnaires."
)


@dataclass(frozen=True)
class SentMeasures:
    """A repeat-measure link sent now: queued by email or text message (``sent_by`` to
    ``sent_to``), or its path to show once (``withdrawn_at``: why nothing was sent)."""

    intake_id: uuid.UUID
    instruments: tuple[str, ...]
    expires_at: datetime
    sent_to: str | None = None
    sent_by: str | None = None
    link_path: str | None = None
    withdrawn_at: datetime | None = None


@dataclass(frozen=True)
class ContactOptions:
    """How questionnaires may reach a client: by email, by text, neither (``withdrawn_at``:
    when they withdrew consent to reminders, if they did)."""

    email: str | None
    mobile: str | None
    withdrawn_at: datetime | None


def contact_options(session: Session, client: Client) -> ContactOptions:
    """The client's address and textable number, and whether they withdrew consent to
    reminders (the caller has loaded ``client`` through an access check)."""
    email = (client.email or "").strip()
    return ContactOptions(
        email=email if email and email != ERASED else None,
        mobile=sms_number(client.phone),
        withdrawn_at=reminders_withdrawn_at(session, client.id),
    )


def withdrawn_words(moment: datetime) -> str:
    """The refusal when a client withdrew consent to reminders."""
    return (
        f"This client withdrew their consent to reminders by email or text message on "
        f"{moment:%d %B %Y}, so nothing is sent to them: choose 'Show me the link' and give it "
        "to them yourself if they ask for it."
    )


def measures_sms(link: str, clinic: str) -> str:
    """The text message with a repeat-measure link: no questionnaire named (a phone's lock
    screen shows it), only the clinic and the link."""
    return (
        f"{clinic}: a few short questions from your clinician, about 5 minutes. Your private "
        f"link (it works once; please do not forward it): {link} If you are in crisis, call "
        "your local emergency number now."
    )


def _way(options: ContactOptions, send_by: str | None) -> str:
    """How the link goes, refusing in words where it cannot (before anything is made)."""
    if send_by is None:
        return "email" if options.email and options.withdrawn_at is None else "link"
    if send_by not in SEND_WAYS:
        raise InvalidInput("Sending: choose one of the ways offered.")
    if send_by != "link" and options.withdrawn_at is not None:
        raise InvalidInput(withdrawn_words(options.withdrawn_at))
    if send_by == "email" and options.email is None:
        raise InvalidInput(NO_EMAIL)
    if send_by == "sms" and options.mobile is None:
        raise InvalidInput(NO_MOBILE)
    return send_by


def send_measures_now(
    session: Session,
    *,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    instruments: Sequence[str],
    now: datetime,
    link_base: str,
    send_by: str | None = None,
) -> SentMeasures:
    """Ask the client to answer questionnaires again now (a clinician or lead on the care
    team): an intake link with those questionnaires, reviewed by the sender, sent by email or
    text message (see the module docstring)."""
    client = load_or_refuse(
        session,
        Client,
        client_id,
        user=user,
        actor=actor,
        resource_type="measures_reminder",
        allowed=lambda c: may_edit_plan(actor, c),
        now=now,
    )
    known = list_instruments()
    chosen = [name.strip() for name in instruments if name and name.strip()]
    if not chosen:
        raise InvalidInput("instruments: choose at least one questionnaire to send.")
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise InvalidInput(f"instruments: unknown {', '.join(unknown)}.")
    if client.status != "active":
        raise InvalidInput("This client's record is closed; no questionnaire can be sent.")
    options = contact_options(session, client)
    way = _way(options, send_by)
    ordered = sorted(set(chosen), key=known.index)
    created = create_intake(
        session,
        actor=user,
        client_id=client.id,
        instruments=ordered,
        reviewer_id=user.id,
        expires_in=MAX_INTERVAL_EXPIRY,
        now=now,
    )
    intake = created.intake
    link = link_base.rstrip("/") + created.path
    recipient: str | None = None
    if way in ("email", "sms"):
        if way == "sms":
            organization = session.get(Organization, client.organization_id)
            clinic = organization.name if organization is not None else "Your clinic"
            recipient, body = options.mobile, measures_sms(link, clinic)
        else:
            recipient, body = options.email, reminder_text(link, ordered, None)
        assert recipient is not None  # noqa: S101 - _way checked it
        enqueue(
            session,
            kind=REMINDER_KIND,
            channel=way,
            recipient=recipient,
            subject="Your questionnaires from the clinic",
            body=body,
            # Ids only: the token is in the body, never in the payload or the key.
            payload={"intake_id": str(intake.id), "client_id": str(client.id)},
            idempotency_key=f"{REMINDER_KIND}:now:{intake.id}",
            client_id=client.id,
            organization_id=client.organization_id,
            now=now,
        )
    # The sender read the client's address or number and sent the link: recorded as theirs.
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.CREATE,
        resource_type="measures_reminder",
        resource_id=intake.id,
        client_id=client.id,
        organization_id=client.organization_id,
        now=now,
    )
    return SentMeasures(
        intake_id=intake.id,
        instruments=tuple(ordered),
        expires_at=intake.expires_at,
        sent_to=recipient,
        sent_by=way if recipient else None,
        link_path=None if recipient else created.path,
        withdrawn_at=options.withdrawn_at if recipient is None else None,
    )


def due_measures(session: Session, *, now: datetime, link_base: str) -> DueReport:
    """Create the repeat-measure links that are due, and email them to clients who have email
    and did not withdraw consent to reminders."""
    report = DueReport()
    plans = list(
        session.scalars(
            select(MeasurementPlan)
            .where(MeasurementPlan.active.is_(True))
            .order_by(MeasurementPlan.created_at, MeasurementPlan.id)
        )
    )
    for plan in plans:
        found = _due_for(session, plan, now)
        if found is None:
            continue
        due, session_clinician = found
        client = session.get(Client, plan.client_id)
        if client is None or client.status != "active":
            report.skipped.append(
                DueLink(plan.id, plan.client_id, due, skipped="the client is not active")
            )
            continue
        reviewer = _reviewer_for(session, plan, session_clinician)
        if reviewer is None:
            # Not claimed: it is sent once someone of the care team can review it.
            report.skipped.append(
                DueLink(
                    plan.id,
                    plan.client_id,
                    due,
                    skipped="no active clinician on the care team to review the answers",
                )
            )
            continue
        if not _claim(session, plan, due):
            continue
        created = create_intake(
            session,
            actor=reviewer,
            client_id=client.id,
            instruments=list(plan.instruments),
            reviewer_id=reviewer.id,
            expires_in=_expiry(plan, due, now),
            now=now,
        )
        plan.last_intake_id = created.intake.id
        message_id: uuid.UUID | None = None
        email = client.email
        # A client who withdrew consent to reminders gets none; the link waits for them.
        if email and reminders_withdrawn_at(session, client.id) is None:
            link = link_base.rstrip("/") + created.path
            message = enqueue(
                session,
                kind=REMINDER_KIND,
                channel="email",
                recipient=email,
                subject="Your questionnaires from the clinic",
                body=reminder_text(
                    link,
                    plan.instruments,
                    due if plan.cadence is Cadence.BEFORE_SESSION else None,
                ),
                # Ids only: the token is in the body, never in the payload or the key.
                payload={
                    "plan_id": str(plan.id),
                    "intake_id": str(created.intake.id),
                    "client_id": str(client.id),
                },
                idempotency_key=f"{REMINDER_KIND}:{plan.id}:{due.isoformat()}",
                client_id=client.id,
                organization_id=client.organization_id,
                now=now,
            )
            message_id = message.id
        # Alongside itself read the client's address and sent the reminder: recorded as such.
        record(
            session,
            actor=None,
            action=AuditAction.CREATE,
            resource_type="measures_reminder",
            resource_id=created.intake.id,
            client_id=client.id,
            organization_id=client.organization_id,
            purpose=AuditPurpose.TREATMENT,
            outcome=AuditOutcome.SUCCESS,
            now=now,
        )
        report.created.append(
            DueLink(plan.id, client.id, due, intake_id=created.intake.id, message_id=message_id)
        )
    session.flush()
    return report


__all__ = [
    "AttentionEntry",
    "ClientMeasures",
    "ContactOptions",
    "DueLink",
    "DueReport",
    "SentMeasures",
    "attention_list",
    "client_measures",
    "client_summary",
    "contact_options",
    "due_measures",
    "may_edit_plan",
    "plan_of",
    "reminder_text",
    "send_measures_now",
    "set_plan",
]
