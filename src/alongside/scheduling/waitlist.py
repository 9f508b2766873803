"""The waitlist: accepted triage decisions wait here for a first appointment, ordered by urgency
then waiting time; they are re-screened at the organisation's interval, and a deterioration or
a risk flag sends them back to triage with an alert to the clinical lead. Matching proposals
for the coordinator come from :func:`alongside.scheduling.matching.propose_matches`; nothing is
booked until a person confirms.

API for other domains (keep stable)
-----------------------------------
- :func:`add_to_waitlist` ``(session, *, client_id, urgency, pathway, decided_by, now,
  decision_ref=None, previous_clinician_id=None) -> WaitlistEntry``: called by the review
  service when a clinician accepts (or amends) a triage proposal. ``decided_by`` is the
  deciding clinician (:class:`~alongside.models.User`; they review the re-screens);
  ``urgency`` is ``crisis`` | ``urgent`` | ``soon`` | ``routine``. The client's latest PHQ-9 and
  GAD-7 totals become the baseline for reliable change. Idempotent per client: a client already
  waiting keeps their place (and their waiting time) with the new urgency and pathway. Flushes
  and audits in the caller's transaction; never commits.

Coordinator (``waitlist.manage``)
---------------------------------
- :func:`list_waitlist` ``(session, *, user, actor, now, statuses=..., limit=None,
  cursor=None) -> Page[WaitlistEntry]``: a page of the entries in order.
- :func:`remove_from_waitlist` ``(..., entry_id, reason, now)``; :func:`recently_removed`
  ``(session, *, user, actor, now, limit=10)``: the latest taken off, with their reasons.
- :func:`match_proposals` ``(session, *, user, actor, now, entries=None) -> Proposals``: one
  proposal per matched waiting client of ``entries`` (default: the first page of 200 waiting)
  (clinician, slot, reasons) and the reasons for the others.
- :func:`alternatives_for` ``(..., entry_id, now) -> list[Alternative]``: other clinicians'
  first fitting slots for one client, so the coordinator can change a proposal.
- :func:`confirm_match` ``(..., entry_id, clinician_id, starts_at, reason, now) ->
  Appointment``: books (through :func:`alongside.scheduling.booking.book_appointment`, so a
  taken slot is a 409) and marks the entry ``booked``.
- :func:`due_rescreens` ``(session, *, user, now, create_links=True) -> list[Rescreen]``: waiting
  clients whose re-screen is due; creates a PHQ-9, GAD-7 and C-SSRS screener intake link for each
  (through :func:`alongside.intake.service.create_intake`, reviewed by the deciding clinician).
- :func:`check_rescreens` ``(session, *, now) -> list[WaitlistEntry]``: reads submitted
  re-screens; :func:`judge_rescreen` (pure) decides; a reliable deterioration
  (:func:`alongside.instruments.scoring.reliable_change`) or a risk flag moves the entry to
  ``back_to_triage`` and alerts every clinical lead through the outbox. (Submitting the intake
  also runs triage, so a new proposal is already in the review queue.)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.instruments.scoring import reliable_change
from alongside.intake.service import create_intake
from alongside.kit.keyset import MAX_LIMIT, CursorCodec, Page, check_limit
from alongside.models import (
    Appointment,
    AuditAction,
    CareTeam,
    Client,
    ClientPreference,
    ClinicianProfile,
    Intake,
    IntakeStatus,
    Organization,
    Score,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from alongside.models.encrypted import keyring_for, page_cursor_key
from alongside.models.user import Role
from alongside.notify.service import enqueue
from alongside.scheduling.booking import book_appointment
from alongside.scheduling.matching import (
    URGENCY_WEIGHT,
    ClientNeed,
    ClinicianOffer,
    MatchProposal,
    Unmatched,
    propose_matches,
)
from alongside.scheduling.service import (
    CLINICIAN_ROLES,
    audit_access,
    audit_row,
    clients_by_id,
    free_slots_for_many,
    rules_for,
    staff_clinician,
)
from alongside.security.access import actor_for
from alongside.security.permissions import Action
from alongside.security.policy import Actor, can
from alongside.sqltools import Keyset, outside, ranked_page

__all__ = [
    "BASELINE_INSTRUMENTS",
    "RESCREEN_INSTRUMENTS",
    "Alternative",
    "Proposals",
    "Rescreen",
    "RescreenJudgement",
    "add_to_waitlist",
    "alternatives_for",
    "check_rescreens",
    "clients_of",
    "confirm_match",
    "due_rescreens",
    "get_entry",
    "judge_rescreen",
    "list_waitlist",
    "match_proposals",
    "recently_removed",
    "remove_from_waitlist",
]

ENTRY_NOT_FOUND = "No waitlist entry with this id is available to you."
RESCREEN_INSTRUMENTS: tuple[str, ...] = ("phq9", "gad7", "cssrs-screen")
BASELINE_INSTRUMENTS: tuple[str, ...] = ("phq9", "gad7")
# C-SSRS screener categories that count as a risk flag (the screener's own triage bands).
CSSRS_RISK = frozenset({"moderate", "high"})
URGENCY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(URGENCY_WEIGHT)}
OPEN_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.BACK_TO_TRIAGE)
# Where an entry is, in the words its messages use.
STATUS_WORDS = {
    WaitlistStatus.WAITING: "waiting",
    WaitlistStatus.BOOKED: "booked (the client has a first appointment)",
    WaitlistStatus.BACK_TO_TRIAGE: "back with triage",
    WaitlistStatus.REMOVED: "removed",
}
# Within one urgency: longest waiting first (the id breaks ties, so the order is total).
WAITLIST_ORDER = Keyset((WaitlistEntry.added_at, WaitlistEntry.id))


# ---------------------------------------------------------------------------------------------
# Pure judgement of a re-screen.


@dataclass(frozen=True)
class RescreenJudgement:
    """Whether a re-screen sends the case back to triage, and why (in words)."""

    back_to_triage: bool
    reasons: tuple[str, ...]


def judge_rescreen(
    baseline: Mapping[str, float],
    latest: Mapping[str, float],
    flags: Sequence[str],
    cssrs_category: str | None,
) -> RescreenJudgement:
    """Back to triage on a reliable deterioration of any baseline instrument, any critical-item
    flag (e.g. PHQ-9 item 9), or a moderate or high C-SSRS screener category."""
    reasons: list[str] = []
    for instrument in sorted(set(baseline) & set(latest)):
        change = reliable_change(instrument, baseline[instrument], latest[instrument])
        if change.direction == "deteriorated":
            reasons.append(
                f"{instrument.upper()} rose from {change.before:g} to {change.after:g}: a reliable "
                f"deterioration (threshold {change.threshold:g}; {change.sources[0]})."
            )
    for flag in sorted(set(flags)):
        reasons.append(f"Risk flag on the re-screen: {flag}.")
    if cssrs_category in CSSRS_RISK:
        reasons.append(f"C-SSRS screener: {cssrs_category} risk.")
    return RescreenJudgement(bool(reasons), tuple(reasons))


# ---------------------------------------------------------------------------------------------
# Entering and leaving the list.


def _urgency(urgency: str) -> str:
    if urgency not in URGENCY_WEIGHT:
        raise InvalidInput(f"urgency: one of {', '.join(URGENCY_WEIGHT)}, not {urgency!r}.")
    return urgency


def _latest_totals(
    session: Session, client_id: uuid.UUID, instruments: Sequence[str]
) -> dict[str, int]:
    rows = session.scalars(
        select(Score)
        .where(Score.client_id == client_id)
        .where(Score.instrument_id.in_(list(instruments)))
        .where(Score.total.is_not(None))
        .order_by(Score.scored_at.desc())
    )
    totals: dict[str, int] = {}
    for score in rows:
        if score.instrument_id not in totals and score.total is not None:
            totals[score.instrument_id] = score.total
    return totals


def add_to_waitlist(
    session: Session,
    *,
    client_id: uuid.UUID,
    urgency: str,
    pathway: str,
    decided_by: User,
    now: datetime,
    decision_ref: str | None = None,
    previous_clinician_id: uuid.UUID | None = None,
) -> WaitlistEntry:
    """Put a client on the waitlist after a clinician's accepted triage decision (idempotent)."""
    client = session.get(Client, client_id)
    if client is None or client.organization_id != decided_by.organization_id:
        raise NotFound("No client with this id is available to you.")
    if decided_by.role not in CLINICIAN_ROLES:
        raise InvalidInput("decided_by: a clinician decides who joins the waitlist.")
    pathway = pathway.strip()
    if not pathway or len(pathway) > 80:
        raise InvalidInput("pathway: name the pathway (at most 80 characters).")
    rules = rules_for(session, client.organization_id)
    entry = session.scalar(
        select(WaitlistEntry)
        .where(WaitlistEntry.client_id == client.id)
        .where(WaitlistEntry.status.in_(OPEN_STATUSES))
    )
    action = AuditAction.UPDATE
    if entry is None:
        action = AuditAction.CREATE
        entry = WaitlistEntry(
            organization_id=client.organization_id,
            client_id=client.id,
            added_at=now,
            next_rescreen_at=now + timedelta(days=rules.rescreen_interval_days),
        )
        session.add(entry)
    entry.urgency = _urgency(urgency)
    entry.pathway = pathway
    entry.status = WaitlistStatus.WAITING
    entry.status_changed_at = now
    entry.decided_by_id = decided_by.id
    entry.decision_ref = decision_ref
    entry.previous_clinician_id = previous_clinician_id or entry.previous_clinician_id
    entry.baseline_json = json.dumps(
        _latest_totals(session, client.id, BASELINE_INSTRUMENTS), sort_keys=True
    )
    session.flush()
    audit_access(
        session,
        user=decided_by,
        actor=None,
        action=action,
        resource_type="waitlist_entry",
        resource_id=entry.id,
        client_id=client.id,
        organization_id=client.organization_id,
        now=now,
    )
    return entry


def _require_manager(actor: Actor) -> None:
    if not can(actor, Action.WAITLIST_MANAGE):
        raise NotFound("There is nothing at this address.")


def _entry(session: Session, actor: Actor, entry_id: uuid.UUID) -> WaitlistEntry:
    _require_manager(actor)
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or entry.organization_id != actor.organization_id:
        raise NotFound(ENTRY_NOT_FOUND)
    return entry


def _order_key(entry: WaitlistEntry) -> tuple[int, datetime, str]:
    return (URGENCY_RANK.get(entry.urgency, len(URGENCY_RANK)), entry.added_at, str(entry.id))


def _ranks() -> list[ColumnElement[bool]]:
    # crisis ... routine, then any urgency matching does not know (still listed, never dropped).
    known = list(URGENCY_RANK)
    return [
        *(WaitlistEntry.urgency == urgency for urgency in known),
        outside(WaitlistEntry.urgency, known),
    ]


def list_waitlist(
    session: Session,
    *,
    user: User,
    actor: Actor,
    now: datetime,
    statuses: Sequence[WaitlistStatus] = OPEN_STATUSES,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[WaitlistEntry]:
    """A page of the organisation's waitlist by urgency, then longest waiting (an audited
    list); only the page's clients' keys are unwrapped."""
    _require_manager(actor)
    size = check_limit(limit)
    codec = CursorCodec(page_cursor_key(session))
    scope = "waitlist/" + ",".join(sorted(str(status.value) for status in statuses))
    after = None
    if cursor:
        rank, added_at, entry_id = codec.decode(scope, cursor, (int, datetime, uuid.UUID))
        after = (rank, (added_at, entry_id))
    base = (
        select(WaitlistEntry.id.label("id"), WaitlistEntry.added_at.label("added_at"))
        .where(WaitlistEntry.organization_id == actor.organization_id)
        .where(WaitlistEntry.status.in_(list(statuses)))
    )
    page = ranked_page(base, WAITLIST_ORDER, _ranks(), after, size + 1)
    rows = session.execute(
        select(WaitlistEntry, page.c.rank)
        .join(page, page.c.id == WaitlistEntry.id)
        .order_by(page.c.rank, page.c.added_at, page.c.id)
        .limit(size + 1)
    ).all()
    more = len(rows) > size
    rows = rows[:size]
    entries = [entry for entry, _rank in rows]
    keyring_for(session).preload(session, [e.client_id for e in entries])
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.LIST,
        resource_type="waitlist_entry",
        resource_id=None,
        client_id=None,
        organization_id=actor.organization_id,
        now=now,
    )
    following = None
    if more:
        last, last_rank = rows[-1]
        following = codec.encode(scope, (int(last_rank), last.added_at, last.id))
    return Page(items=entries, next=following)


def recently_removed(
    session: Session, *, user: User, actor: Actor, now: datetime, limit: int = 10
) -> list[WaitlistEntry]:
    """The organisation's entries taken off the list most recently, with their reasons (an
    audited list); only their clients' keys are unwrapped."""
    _require_manager(actor)
    entries = list(
        session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.organization_id == actor.organization_id)
            .where(WaitlistEntry.status == WaitlistStatus.REMOVED)
            .order_by(WaitlistEntry.status_changed_at.desc(), WaitlistEntry.id)
            .limit(limit)
        )
    )
    keyring_for(session).preload(session, [e.client_id for e in entries])
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.LIST,
        resource_type="waitlist_entry",
        resource_id=None,
        client_id=None,
        organization_id=actor.organization_id,
        now=now,
    )
    return entries


def clients_of(session: Session, entries: Sequence[WaitlistEntry]) -> dict[uuid.UUID, Client]:
    """The entries' clients by id (one query; keys preloaded)."""
    return clients_by_id(session, [e.client_id for e in entries])


def get_entry(session: Session, actor: Actor, entry_id: uuid.UUID) -> WaitlistEntry:
    """One entry of the actor's organisation (``waitlist.manage``), or NotFound."""
    return _entry(session, actor, entry_id)


def remove_from_waitlist(
    session: Session, *, user: User, actor: Actor, entry_id: uuid.UUID, reason: str, now: datetime
) -> WaitlistEntry:
    """Take a client off the list (they found care elsewhere, declined...); audited."""
    entry = _entry(session, actor, entry_id)
    text = reason.strip()
    if not text:
        raise InvalidInput("reason: say why the client leaves the waitlist.")
    if entry.status not in OPEN_STATUSES:
        raise Conflict(f"This entry is {STATUS_WORDS[entry.status]}; it is no longer on the list.")
    entry.status = WaitlistStatus.REMOVED
    entry.status_reason = text[:1000]
    entry.status_changed_at = now
    session.flush()
    audit_row(session, AuditAction.UPDATE, "waitlist_entry", entry, user=user, actor=actor, now=now)
    return entry


# ---------------------------------------------------------------------------------------------
# Matching proposals.


@dataclass(frozen=True)
class Proposals:
    """Proposals for waiting clients, reasons for the others, and names to show them with."""

    proposals: list[MatchProposal]
    unmatched: list[Unmatched]
    entries: dict[str, WaitlistEntry]
    clinicians: dict[str, User]
    clients: dict[str, Client] = field(default_factory=dict)

    def reasons(self, proposal: MatchProposal | Unmatched) -> list[str]:
        """The reasons with ids replaced by names a coordinator knows."""
        names = {key: user.display_name for key, user in self.clinicians.items()}
        out = []
        for reason in proposal.reasons:
            for key, name in names.items():
                reason = reason.replace(key, name)
            out.append(reason)
        return out


@dataclass(frozen=True)
class Alternative:
    """Another clinician's first fitting slot for one client, or why they do not fit."""

    clinician: User
    proposal: MatchProposal | None
    reasons: tuple[str, ...]


def _needs(
    session: Session, entries: Sequence[WaitlistEntry], organization: Organization, now: datetime
) -> list[ClientNeed]:
    clients = clients_of(session, entries)
    preferences = {
        p.client_id: p
        for p in session.scalars(
            select(ClientPreference).where(
                ClientPreference.client_id.in_([e.client_id for e in entries])
            )
        )
    }
    needs = []
    for entry in entries:
        client = clients[entry.client_id]
        pref = preferences.get(entry.client_id)
        setting = pref.setting if pref is not None else "either"
        needs.append(
            ClientNeed(
                id=str(entry.id),
                urgency=entry.urgency,  # type: ignore[arg-type]  # checked on entry
                waited_days=max(0, (now - entry.added_at).days),
                language=(pref.language if pref and pref.language else client.preferred_language),
                population=pref.population if pref else None,
                setting=setting,  # type: ignore[arg-type]  # checked by save_preferences
                sites=frozenset(pref.site_ids) if pref else frozenset(),
                modality=pref.modality if pref else None,
                modality_required=pref.modality_required if pref else False,
                preferred_gender=pref.preferred_gender if pref else None,
                times_of_day=frozenset(pref.times_of_day) if pref else frozenset(),
                specialty=(pref.specialty or None) if pref else None,
                previous_clinician_id=(
                    str(entry.previous_clinician_id) if entry.previous_clinician_id else None
                ),
                time_zone=(pref.time_zone if pref and pref.time_zone else organization.timezone),
            )
        )
    return needs


def _offers(
    session: Session, organization_id: uuid.UUID, now: datetime
) -> tuple[list[ClinicianOffer], dict[str, User]]:
    rules = rules_for(session, organization_id)
    clinicians = list(
        session.scalars(
            select(User)
            .where(User.organization_id == organization_id)
            .where(User.role.in_(sorted(CLINICIAN_ROLES)))
            .where(User.is_active.is_(True))
            .order_by(User.display_name, User.id)
        )
    )
    profiles = {
        p.user_id: p
        for p in session.scalars(
            select(ClinicianProfile).where(ClinicianProfile.user_id.in_([c.id for c in clinicians]))
        )
    }
    # Only clinicians with a profile can be offered; count caseloads and slots for them alone.
    clinicians = [c for c in clinicians if c.id in profiles]
    ids = [c.id for c in clinicians]
    # A caseload is the clinician's active clients: a discharged (or erased) client's care
    # team row stays for the record but holds no place.
    caseload = dict(
        session.execute(
            select(CareTeam.clinician_id, func.count())
            .join(Client, Client.id == CareTeam.client_id)
            .where(CareTeam.clinician_id.in_(ids))
            .where(Client.status == "active")
            .group_by(CareTeam.clinician_id)
        ).all()
    )
    slots = free_slots_for_many(
        session, clinicians, now, now + timedelta(days=rules.horizon_days), rules.slot_minutes
    )
    offers = []
    for clinician in clinicians:
        profile = profiles.get(clinician.id)
        if profile is None:
            continue
        offers.append(
            ClinicianOffer(
                id=str(clinician.id),
                languages=frozenset(profile.languages),
                modalities=frozenset(profile.modalities),
                populations=frozenset(profile.populations),
                specialties=frozenset(profile.specialties),
                gender=profile.gender,
                in_person=profile.in_person and clinician.site_id is not None,
                telehealth=profile.telehealth,
                site=str(clinician.site_id) if clinician.site_id else None,
                remaining_caseload=max(
                    0, profile.caseload_capacity - int(caseload.get(clinician.id, 0))
                ),
                slots=tuple(slots[clinician.id]),
                time_zone=profile.timezone,
            )
        )
    return offers, {str(c.id): c for c in clinicians}


def match_proposals(
    session: Session,
    *,
    user: User,
    actor: Actor,
    now: datetime,
    entries: Sequence[WaitlistEntry] | None = None,
) -> Proposals:
    """Proposals for the given entries, by default the first MAX_LIMIT waiting clients in
    waitlist order (nothing is booked; a coordinator confirms). A long list is matched a page
    at a time, the most urgent and longest waiting first, so one page never matches
    everyone on the list."""
    if entries is None:
        entries = list_waitlist(
            session,
            user=user,
            actor=actor,
            now=now,
            statuses=(WaitlistStatus.WAITING,),
            limit=MAX_LIMIT,
        ).items
    else:
        _require_manager(actor)
    entries = [
        e for e in entries if e.status == WaitlistStatus.WAITING and e.urgency in URGENCY_WEIGHT
    ]
    organization = session.get(Organization, actor.organization_id)
    if organization is None:
        raise NotFound("There is nothing at this address.")
    offers, clinicians = _offers(session, actor.organization_id, now)
    result = propose_matches(_needs(session, entries, organization, now), offers, now)
    names = dict(clinicians)
    clients = clients_of(session, entries)
    by_entry = {str(e.id): e for e in entries}
    return Proposals(
        proposals=result.proposals,
        unmatched=result.unmatched,
        entries=by_entry,
        clinicians=names,
        clients={key: clients[e.client_id] for key, e in by_entry.items()},
    )


def alternatives_for(
    session: Session, *, user: User, actor: Actor, entry_id: uuid.UUID, now: datetime
) -> list[Alternative]:
    """For one waiting client, each clinician's first fitting slot or why they do not fit."""
    entry = _entry(session, actor, entry_id)
    if entry.status is not WaitlistStatus.WAITING:
        raise Conflict(f"This entry is {STATUS_WORDS[entry.status]}; there is nothing to match.")
    organization = session.get(Organization, actor.organization_id)
    if organization is None:
        raise NotFound("There is nothing at this address.")
    need = _needs(session, [entry], organization, now)[0]
    offers, clinicians = _offers(session, actor.organization_id, now)
    alternatives = []
    for offer in offers:
        result = propose_matches([need], [offer], now)
        if result.proposals:
            proposal = result.proposals[0]
            alternatives.append(Alternative(clinicians[offer.id], proposal, proposal.reasons))
        else:
            alternatives.append(
                Alternative(clinicians[offer.id], None, result.unmatched[0].reasons)
            )
    alternatives.sort(
        key=lambda a: (a.proposal is None, a.proposal.slot.start if a.proposal else now)
    )
    audit_row(session, AuditAction.READ, "waitlist_entry", entry, user=user, actor=actor, now=now)
    return alternatives


def confirm_match(
    session: Session,
    *,
    user: User,
    actor: Actor,
    entry_id: uuid.UUID,
    clinician_id: uuid.UUID,
    starts_at: datetime,
    reason: str,
    now: datetime,
    setting: str = "telehealth",
) -> Appointment:
    """A person confirms a proposal (or their changed one): book it, and the client leaves the
    waitlist as ``booked``."""
    entry = _entry(session, actor, entry_id)
    if entry.status is not WaitlistStatus.WAITING:
        raise Conflict(
            f"This entry is {STATUS_WORDS[entry.status]}; it cannot be booked from the list."
        )
    clinician = staff_clinician(session, actor, clinician_id)
    appointment = book_appointment(
        session,
        user=user,
        actor=actor,
        client_id=entry.client_id,
        clinician_id=clinician.id,
        starts_at=starts_at,
        reason=reason,
        now=now,
        setting=setting,
        site_id=clinician.site_id,
        waitlist_entry_id=entry.id,
    )
    entry.status = WaitlistStatus.BOOKED
    entry.status_changed_at = now
    session.flush()
    audit_row(session, AuditAction.UPDATE, "waitlist_entry", entry, user=user, actor=actor, now=now)
    return appointment


# ---------------------------------------------------------------------------------------------
# Re-screening.


@dataclass(frozen=True)
class Rescreen:
    """A waiting client due a re-screen, and the intake link created (path, shown once)."""

    entry: WaitlistEntry
    link_path: str | None


def due_rescreens(
    session: Session, *, user: User, now: datetime, create_links: bool = True
) -> list[Rescreen]:
    """Waiting clients whose re-screen is due; with ``create_links``, an intake link for each
    (PHQ-9, GAD-7, C-SSRS screener) reviewed by the clinician who decided, and the next due date
    moved on by the organisation's interval."""
    if not can_manage(session, user, now):
        raise NotFound("There is nothing at this address.")
    rules = rules_for(session, user.organization_id)
    due = list(
        session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.organization_id == user.organization_id)
            .where(WaitlistEntry.status == WaitlistStatus.WAITING)
            .where(WaitlistEntry.next_rescreen_at <= now)
        )
    )
    due.sort(key=_order_key)
    out = []
    for entry in due:
        path = None
        if create_links:
            created = create_intake(
                session,
                actor=user,
                client_id=entry.client_id,
                instruments=list(RESCREEN_INSTRUMENTS),
                reviewer_id=entry.decided_by_id,
                now=now,
            )
            path = created.path
            entry.rescreen_intake_id = created.intake.id
            entry.last_rescreen_at = now
            entry.next_rescreen_at = now + timedelta(days=rules.rescreen_interval_days)
        out.append(Rescreen(entry, path))
    session.flush()
    return out


def can_manage(session: Session, user: User, now: datetime) -> bool:
    """Whether the user may manage the waitlist."""
    return can(actor_for(session, user, now), Action.WAITLIST_MANAGE)


def _clinical_leads(session: Session, organization_id: uuid.UUID) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.organization_id == organization_id)
            .where(User.role == Role.CLINICAL_LEAD)
            .where(User.is_active.is_(True))
            .order_by(User.id)
        )
    )


def check_rescreens(
    session: Session, *, now: datetime, case_url_base: str = ""
) -> list[WaitlistEntry]:
    """Judge every submitted re-screen; returns the entries sent back to triage."""
    pending = list(
        session.scalars(
            select(WaitlistEntry)
            .join(Intake, Intake.id == WaitlistEntry.rescreen_intake_id)
            .where(WaitlistEntry.status == WaitlistStatus.WAITING)
            .where(Intake.status == IntakeStatus.SUBMITTED)
        )
    )
    returned = []
    for entry in pending:
        intake_id = entry.rescreen_intake_id
        scores = list(session.scalars(select(Score).where(Score.intake_id == intake_id)))
        latest = {s.instrument_id: float(s.total) for s in scores if s.total is not None}
        flags = [flag for s in scores for flag in s.flags]
        cssrs = next((s.severity for s in scores if s.instrument_id == "cssrs-screen"), None)
        judgement = judge_rescreen(
            {k: float(v) for k, v in entry.baseline.items()}, latest, flags, cssrs
        )
        entry.rescreen_intake_id = None
        if judgement.back_to_triage:
            entry.status = WaitlistStatus.BACK_TO_TRIAGE
            entry.status_reason = " ".join(judgement.reasons)
            entry.status_changed_at = now
            _alert_leads(session, entry, intake_id, now, case_url_base)
            returned.append(entry)
        audit_row(
            session, AuditAction.UPDATE, "waitlist_entry", entry, user=None, actor=None, now=now
        )
    session.flush()
    return returned


def _alert_leads(
    session: Session,
    entry: WaitlistEntry,
    intake_id: uuid.UUID | None,
    now: datetime,
    case_url_base: str,
) -> None:
    # No names or scores in the message: it travels by email; the lead signs in to read more.
    link = f"{case_url_base.rstrip('/')}/scheduling/waitlist#entry-{entry.id}"
    for lead in _clinical_leads(session, entry.organization_id):
        enqueue(
            session,
            kind="waitlist_back_to_triage",
            channel="email",
            recipient=lead.email,
            subject="A waitlisted client needs triage again",
            body=(
                "A re-screen of a client on the waitlist showed a reliable deterioration or a "
                f"risk flag. Their case is back in triage. Open: {link}"
            ),
            payload={"waitlist_entry_id": str(entry.id), "intake_id": str(intake_id)},
            idempotency_key=f"waitlist_back_to_triage:{entry.id}:{intake_id}:{lead.id}",
            organization_id=entry.organization_id,
            now=now,
        )
