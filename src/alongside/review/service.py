"""The review queue, the case view and the clinician's decision (DESIGN.md invariant 1).

A triage proposal is a :class:`~alongside.models.Suggestion` in status ``proposed``. Nothing
proposed reaches the client or the record until a clinician with ``suggestion.decide`` on the
client moves it to ``accepted``, ``amended`` or ``rejected`` here; the
:class:`~alongside.models.Decision` keeps who, when, what and why. The record (what other
parts of Alongside may show or act on) is :func:`decided_triage`: decisions only.

API
---
- :func:`review_queue` ``(session, *, user, actor, now, limit=None, cursor=None) ->
  Page[QueueEntry]``: a page of the proposals of clients the actor may review
  (``intake.review``), crisis first, then longest waiting (one index range per urgency, as
  :func:`alongside.review.queue.order_queue` orders them); each with its wait against the
  organisation's target. One audited list access per page.
- :func:`get_case` ``(session, *, user, actor, suggestion_id, now) -> Case``: answers with
  item wording, scores with bands, the client's words with the evidence spans, the proposal,
  any decision and crisis alert. Audited; 404 for anyone who may not review the client.
- :func:`case_for_intake` ``(session, *, actor, intake_id) -> uuid.UUID``: the proposal of an
  intake (the link alerts carry).
- :func:`decide` ``(session, *, user, actor, suggestion_id, outcome, urgency=None,
  pathway=None, reason=None, now) -> Decision``: 404 without ``suggestion.decide``; 409 when
  already decided; 422 when a reason is missing for amend or reject, or an amendment changes
  nothing or names an unknown urgency or pathway. Accepted and amended decisions go on the
  waitlist (:func:`alongside.scheduling.waitlist.add_to_waitlist`).
- :func:`decided_triage` ``(session, client_id) -> list[Decision]``: the record.
- :func:`review_targets`: the wait targets in force, which belong to the active version of the
  triage rules (:func:`alongside.triage.rule_changes.wait_targets_in_force`); a clinical lead
  changes them by activating a new version, never anywhere else.
- :func:`update_review_settings`: the escalation time and how long an assigned reviewer keeps
  a case after deciding.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Date,
    Float,
    Integer,
    Select,
    String,
    Text,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.clients.service import readable_client_condition
from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.instruments import get_instrument
from alongside.kit.keyset import CursorCodec, Page, check_limit
from alongside.kit.time import utcnow
from alongside.models import (
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    Client,
    CrisisAlert,
    Decision,
    DecisionOutcome,
    Intake,
    QuestionnaireResponse,
    ReviewAssignment,
    ReviewSettings,
    RiskReading,
    Score,
    Suggestion,
    SuggestionStatus,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from alongside.models.encrypted import keyring_for, page_cursor_key
from alongside.review.highlight import Piece, highlight
from alongside.review.oversight import (
    NOT_READ_BY_SOFTWARE,
    DecisionGroup,
    DecisionRecord,
    OverrideRate,
    ReviewTime,
    override_rate_by_period,
    override_rates,
    review_time_from_ranks,
)
from alongside.review.queue import (
    DEFAULT_ESCALATION_MINUTES,
    URGENCIES,
    QueueItem,
    Wait,
    targets_from,
    wait_of,
)
from alongside.scheduling.waitlist import add_to_waitlist
from alongside.security.guard import audit_access, load_or_refuse
from alongside.security.permissions import Action, role_allows
from alongside.security.policy import Actor, Resource, can, readable_clients
from alongside.sqltools import Keyset, as_date, outside, ranked_page, seconds_between, week_start
from alongside.triage.escalation import (
    ACTION_LABELS,
    alert_for,
    alerted_at_for,
    may_acknowledge,
)
from alongside.triage.rule_changes import (
    WaitTargetsInForce,
    require_rules_edit,
    ruleset_for_versions,
    wait_targets_in_force,
)
from alongside.triage.rulesets import Ruleset, default_ruleset

log = logging.getLogger("alongside.review")

NOT_FOUND = "There is no such case available to you."
# An assigned reviewer outside the care team keeps the case open this long after deciding
# (to add a note or answer a colleague), then loses it; organisations may change it.
DEFAULT_ASSIGNMENT_HOURS = 72
MAX_ASSIGNMENT_HOURS = 24 * 90
TRIAGE_KIND = "triage"
QUEUE_CURSOR = "review-queue"
# Oversight counts the decisions of the last quarter unless asked for another span.
DEFAULT_OVERSIGHT_WEEKS = 12
MAX_OVERSIGHT_WEEKS = 520
# Within one urgency: longest waiting first (the id breaks ties, so the order is total).
QUEUE_ORDER = Keyset((Suggestion.proposed_at, Suggestion.id))
MAX_REASON_LENGTH = 2000
STATUS_FOR: dict[DecisionOutcome, SuggestionStatus] = {
    DecisionOutcome.ACCEPTED: SuggestionStatus.ACCEPTED,
    DecisionOutcome.AMENDED: SuggestionStatus.AMENDED,
    DecisionOutcome.REJECTED: SuggestionStatus.REJECTED,
}


@dataclass(frozen=True)
class QueueEntry(QueueItem):
    """One waiting proposal as the queue shows it."""

    client_id: uuid.UUID
    client_name: str
    pathway: str
    wait: Wait
    needs_human_reading: bool
    alert_state: str | None  # None, "unacknowledged" or "acknowledged"


@dataclass(frozen=True)
class AnswerLine:
    """One question as the client saw it, and their answer."""

    label: str
    text: str
    answer: str


@dataclass(frozen=True)
class InstrumentAnswers:
    """The answers to one instrument, with its score."""

    instrument_id: str
    title: str
    version: str
    lines: list[AnswerLine]
    total: int | None
    total_range: tuple[int, int] | None
    severity: str
    flags: list[str]
    reasons: list[str]


@dataclass(frozen=True)
class AlertView:
    """A crisis alert as the case shows it."""

    id: uuid.UUID
    level: int
    recipient_name: str | None
    sent_at: datetime | None
    escalate_at: datetime | None
    exhausted_at: datetime | None
    acknowledged_by_name: str | None
    acknowledged_at: datetime | None
    action_taken: str | None
    action_label: str | None
    action_note: str | None
    may_acknowledge: bool
    # When the person reading was alerted (escalation moves ``sent_at`` on to the next person).
    you_alerted_at: datetime | None = None


@dataclass(frozen=True)
class Case:
    """Everything a clinician reads to decide on one proposal."""

    suggestion: Suggestion
    client: Client
    intake: Intake | None
    instruments: list[InstrumentAnswers]
    words: str | None
    pieces: list[Piece]
    reading: RiskReading | None
    pathway_labels: dict[str, str]
    urgencies: tuple[str, ...]
    decision: Decision | None
    decided_by_name: str | None
    alert: AlertView | None
    may_decide: bool
    wait: Wait
    reasons: list[dict[str, Any]] = field(default_factory=list)


def review_targets(session: Session, organization_id: uuid.UUID) -> dict[str, timedelta]:
    """The wait targets per urgency in force: the active rules version's (or the defaults)."""
    return wait_targets_as_times(wait_targets_in_force(session, organization_id))


def wait_targets_as_times(in_force: WaitTargetsInForce) -> dict[str, timedelta]:
    """The targets in force as durations, by urgency (whole minutes, as waits are shown)."""
    return targets_from({urgency: max(1, round(h * 60)) for urgency, h in in_force.hours.items()})


def _settings_row(session: Session, organization_id: uuid.UUID) -> ReviewSettings | None:
    return session.scalar(
        select(ReviewSettings).where(ReviewSettings.organization_id == organization_id)
    )


def update_review_settings(
    session: Session,
    *,
    user: User,
    actor: Actor,
    escalation_minutes: int,
    assignment_hours: int | None = None,
    now: datetime,
) -> ReviewSettings:
    """Set the escalation time and the reviewer's time after deciding (clinical lead only).
    The wait targets are not among them: they belong to the rules (:func:`review_targets`)."""
    require_rules_edit(actor)
    if assignment_hours is not None and not 0 <= assignment_hours <= MAX_ASSIGNMENT_HOURS:
        raise InvalidInput(
            "Time a reviewer keeps the case after deciding: between 0 and "
            f"{MAX_ASSIGNMENT_HOURS} hours."
        )
    row = set_escalation_minutes(session, actor.organization_id, escalation_minutes, now=now)
    if assignment_hours is not None:
        row.assignment_hours_after_decision = assignment_hours
    session.flush()
    record(
        session,
        actor=user,
        action=AuditAction.UPDATE,
        resource_type="review_settings",
        resource_id=row.id,
        client_id=None,
        organization_id=actor.organization_id,
        purpose=AuditPurpose.OPERATIONS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    return row


def set_escalation_minutes(
    session: Session, organization_id: uuid.UUID, minutes: int, *, now: datetime
) -> ReviewSettings:
    """Minutes before an unacknowledged crisis alert goes on to the next person (1 to 1440).

    The caller checks who may change it: the clinical lead on the oversight page, or the
    administrator with the on-call rota.
    """
    if not 1 <= minutes <= 24 * 60:
        raise InvalidInput(
            "Escalation time: between 1 and 1440 minutes (24 hours) before the next person "
            "is alerted."
        )
    row = _settings_row(session, organization_id)
    if row is None:
        row = ReviewSettings(organization_id=organization_id)
        session.add(row)
    row.escalation_minutes = minutes
    row.updated_at = now
    session.flush()
    return row


def assignment_grace_for(session: Session, organization_id: uuid.UUID) -> timedelta:
    """How long an assigned reviewer may still open the case after their decision."""
    row = _settings_row(session, organization_id)
    hours = row.assignment_hours_after_decision if row else None
    return timedelta(hours=DEFAULT_ASSIGNMENT_HOURS if hours is None else hours)


def escalation_minutes_for(session: Session, organization_id: uuid.UUID) -> int:
    """Minutes before an unacknowledged crisis alert goes to the next person."""
    row = _settings_row(session, organization_id)
    return (row.escalation_minutes if row else None) or DEFAULT_ESCALATION_MINUTES


def _audit(
    session: Session,
    *,
    user: User,
    actor: Actor,
    action: AuditAction,
    resource_id: uuid.UUID | None,
    client_id: uuid.UUID | None,
    now: datetime,
) -> None:
    audit_access(
        session,
        user=user,
        actor=actor,
        action=action,
        resource_type="suggestion",
        resource_id=resource_id,
        client_id=client_id,
        organization_id=actor.organization_id,
        now=now,
    )


def _names(session: Session, user_ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = [uid for uid in user_ids if uid is not None]
    if not wanted:
        return {}
    return {
        row.id: row.display_name for row in session.scalars(select(User).where(User.id.in_(wanted)))
    }


def _queue_ranks() -> list[ColumnElement[bool]]:
    # An unknown urgency first (a person looks at it), then crisis ... routine.
    return [
        outside(Suggestion.urgency, URGENCIES),
        *(Suggestion.urgency == urgency for urgency in URGENCIES),
    ]


def review_queue(
    session: Session,
    *,
    user: User,
    actor: Actor,
    now: datetime,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[QueueEntry]:
    """One page of the proposals waiting for a decision on clients this person may review,
    most urgent first, then longest waiting; only the page's clients are decrypted (404 for
    roles that review nothing: the queue is not theirs to see, even empty)."""
    if not role_allows(actor.role, Action.INTAKE_REVIEW):
        raise NotFound("There is nothing at this address.")
    size = check_limit(limit)
    codec = CursorCodec(page_cursor_key(session))
    after = None
    if cursor:
        rank, proposed_at, suggestion_id = codec.decode(
            QUEUE_CURSOR, cursor, (int, datetime, uuid.UUID)
        )
        after = (rank, (proposed_at, suggestion_id))
    scope = readable_clients(actor, Action.INTAKE_REVIEW)
    base = (
        select(Suggestion.id.label("id"), Suggestion.proposed_at.label("proposed_at"))
        .where(Suggestion.organization_id == scope.organization_id)
        .where(Suggestion.kind == TRIAGE_KIND)
        .where(Suggestion.status == SuggestionStatus.PROPOSED)
    )
    if scope.client_ids is not None:
        assigned = (
            actor.assigned_intake_ids
            if actor.allowed_actions is None or Action.INTAKE_REVIEW in actor.allowed_actions
            else frozenset()
        )
        readable = readable_client_condition(actor, Suggestion.client_id, Action.INTAKE_REVIEW)
        base = base.where(
            or_(readable, Suggestion.intake_id.in_(assigned)) if assigned else readable
        )
    page = ranked_page(base, QUEUE_ORDER, _queue_ranks(), after, size + 1)
    rows = session.execute(
        select(Suggestion, Client, page.c.rank)
        .join(page, page.c.id == Suggestion.id)
        .join(Client, Client.id == Suggestion.client_id)
        .order_by(page.c.rank, page.c.proposed_at, page.c.id)
        .limit(size + 1)
    ).all()
    more = len(rows) > size
    rows = rows[:size]
    keyring_for(session).preload(session, [client.id for _s, client, _r in rows])
    alerts = {}
    if rows:
        alerts = {
            alert.suggestion_id: alert
            for alert in session.scalars(
                select(CrisisAlert).where(
                    CrisisAlert.suggestion_id.in_([s.id for s, _c, _r in rows])
                )
            )
        }
    targets = review_targets(session, actor.organization_id)
    entries = []
    for suggestion, client, _rank in rows:
        alert = alerts.get(suggestion.id)
        state = None
        if alert is not None:
            state = "acknowledged" if alert.acknowledged_at else "unacknowledged"
        elif suggestion.urgency == "crisis" and suggestion.alerted_at is not None:
            state = "unacknowledged"
        entries.append(
            QueueEntry(
                suggestion_id=suggestion.id,
                urgency=suggestion.urgency,
                proposed_at=suggestion.proposed_at,
                client_id=client.id,
                client_name=f"{client.given_name} {client.family_name}",
                pathway=suggestion.pathway,
                wait=wait_of(suggestion.proposed_at, suggestion.urgency, targets, now),
                needs_human_reading=suggestion.needs_human_reading,
                alert_state=state,
            )
        )
    _audit(
        session,
        user=user,
        actor=actor,
        action=AuditAction.LIST,
        resource_id=None,
        client_id=None,
        now=now,
    )
    following = None
    if more:
        last_suggestion, _client, last_rank = rows[-1]
        following = codec.encode(
            QUEUE_CURSOR, (int(last_rank), last_suggestion.proposed_at, last_suggestion.id)
        )
    return Page(items=entries, next=following)


def case_resource(suggestion: Suggestion) -> Resource:
    """A case as the policy sees it: the client's, and its intake's (for assigned reviewers)."""
    return Resource(
        organization_id=suggestion.organization_id,
        client_id=suggestion.client_id,
        intake_id=suggestion.intake_id,
    )


def _triage_suggestion(
    session: Session,
    *,
    user: User,
    actor: Actor,
    suggestion_id: uuid.UUID,
    action: Action,
    now: datetime,
) -> Suggestion:
    # A proposal the actor may not take `action` on answers an audited 404, as if it did not exist.
    return load_or_refuse(
        session,
        Suggestion,
        suggestion_id,
        user=user,
        actor=actor,
        resource_type="suggestion",
        allowed=lambda s: s.kind == TRIAGE_KIND and can(actor, action, case_resource(s)),
        now=now,
        message=NOT_FOUND,
    )


def case_for_intake(session: Session, *, actor: Actor, intake_id: uuid.UUID) -> uuid.UUID:
    """The latest proposal of an intake in the actor's organisation (the alert's link)."""
    suggestion_id = session.scalar(
        select(Suggestion.id)
        .where(Suggestion.intake_id == intake_id)
        .where(Suggestion.organization_id == actor.organization_id)
        .where(Suggestion.kind == TRIAGE_KIND)
        .order_by(Suggestion.proposed_at.desc())
        .limit(1)
    )
    if suggestion_id is None:
        raise NotFound(NOT_FOUND)
    return suggestion_id


def _ruleset_of(session: Session, suggestion: Suggestion) -> Ruleset:
    recorded = ruleset_for_versions(
        session, suggestion.organization_id, dict(suggestion.versions or {})
    )
    return recorded or default_ruleset()


def _instrument_answers(
    responses: Mapping[str, QuestionnaireResponse],
    scores: Mapping[str, Score],
    instrument_ids: list[str],
) -> list[InstrumentAnswers]:
    shown: list[InstrumentAnswers] = []
    for instrument_id in instrument_ids:
        definition = get_instrument(instrument_id)
        response = responses.get(instrument_id)
        answers = response.answer_map if response is not None else {}
        lines = []
        for position, item in enumerate(definition.items, start=1):
            value = answers.get(item.id)
            if value is None:
                answer = "not asked"
            else:
                options = {option.value: option.text for option in definition.options_for(item)}
                answer = f"{options.get(value, 'unknown answer')} ({value})"
            lines.append(AnswerLine(label=f"Question {position}", text=item.text, answer=answer))
        score = scores.get(instrument_id)
        result = score.result_dict if score is not None else {}
        total_range = result.get("total_range")
        shown.append(
            InstrumentAnswers(
                instrument_id=instrument_id,
                title=definition.title,
                version=response.instrument_version if response is not None else definition.version,
                lines=lines,
                total=score.total if score is not None else None,
                total_range=(
                    (int(total_range[0]), int(total_range[1]))
                    if isinstance(total_range, list) and len(total_range) == 2
                    else None
                ),
                severity=score.severity if score is not None else "not scored",
                flags=list(score.flags) if score is not None else [],
                reasons=[str(reason) for reason in result.get("reasons") or []],
            )
        )
    return shown


def alert_view(session: Session, alert: CrisisAlert, actor: Actor) -> AlertView:
    """A crisis alert with the names of who was alerted and who acknowledged it."""
    names = _names(session, {alert.recipient_id, alert.acknowledged_by_id})
    return AlertView(
        id=alert.id,
        level=alert.level,
        recipient_name=names.get(alert.recipient_id) if alert.recipient_id else None,
        sent_at=alert.sent_at,
        escalate_at=alert.escalate_at,
        exhausted_at=alert.exhausted_at,
        acknowledged_by_name=(
            names.get(alert.acknowledged_by_id) if alert.acknowledged_by_id else None
        ),
        acknowledged_at=alert.acknowledged_at,
        action_taken=alert.action_taken,
        action_label=ACTION_LABELS.get(alert.action_taken or ""),
        action_note=alert.action_note,
        may_acknowledge=may_acknowledge(alert, actor) and alert.acknowledged_at is None,
        you_alerted_at=alerted_at_for(session, alert, actor.user_id),
    )


def get_case(
    session: Session, *, user: User, actor: Actor, suggestion_id: uuid.UUID, now: datetime
) -> Case:
    """One proposal with everything needed to decide on it (an audited read)."""
    suggestion = _triage_suggestion(
        session,
        user=user,
        actor=actor,
        suggestion_id=suggestion_id,
        action=Action.INTAKE_REVIEW,
        now=now,
    )
    client = session.get(Client, suggestion.client_id)
    if client is None:  # the foreign key makes this impossible; say so plainly if it happens
        raise NotFound(NOT_FOUND)
    intake = session.get(Intake, suggestion.intake_id) if suggestion.intake_id else None
    responses: dict[str, QuestionnaireResponse] = {}
    scores: dict[str, Score] = {}
    reading: RiskReading | None = None
    if intake is not None:
        responses = {
            row.instrument_id: row
            for row in session.scalars(
                select(QuestionnaireResponse).where(QuestionnaireResponse.intake_id == intake.id)
            )
        }
        scores = {
            row.instrument_id: row
            for row in session.scalars(
                select(Score).where(Score.intake_id == intake.id).order_by(Score.scored_at)
            )
        }
        reading = session.scalar(
            select(RiskReading)
            .where(RiskReading.intake_id == intake.id)
            .order_by(RiskReading.read_at.desc())
            .limit(1)
        )
    words = intake.own_words if intake is not None else None
    evidence = reading.evidence_list if reading is not None else []
    ruleset = _ruleset_of(session, suggestion)
    decision = session.scalar(select(Decision).where(Decision.suggestion_id == suggestion.id))
    # Reading a case writes nothing but its audit event: a crisis proposal's alert row is
    # opened when the intake is submitted (and by the worker for any made another way).
    alert = alert_for(session, suggestion.id)
    names = _names(session, {decision.decided_by_id if decision else None})
    resource = case_resource(suggestion)
    _audit(
        session,
        user=user,
        actor=actor,
        action=AuditAction.READ,
        resource_id=suggestion.id,
        client_id=suggestion.client_id,
        now=now,
    )
    return Case(
        suggestion=suggestion,
        client=client,
        intake=intake,
        instruments=_instrument_answers(
            responses, scores, list(intake.instruments) if intake is not None else list(scores)
        ),
        words=words,
        pieces=highlight(words or "", evidence),
        reading=reading,
        pathway_labels={pathway.id: pathway.label for pathway in ruleset.pathways},
        urgencies=URGENCIES,
        decision=decision,
        decided_by_name=(
            names.get(decision.decided_by_id) if decision and decision.decided_by_id else None
        ),
        alert=alert_view(session, alert, actor) if alert is not None else None,
        may_decide=suggestion.status == SuggestionStatus.PROPOSED
        and can(actor, Action.SUGGESTION_DECIDE, resource),
        wait=wait_of(
            suggestion.proposed_at,
            suggestion.urgency,
            review_targets(session, suggestion.organization_id),
            now,
        ),
        reasons=suggestion.reason_list,
    )


def _clean_reason(reason: str | None) -> str:
    cleaned = (reason or "").strip()
    if len(cleaned) > MAX_REASON_LENGTH:
        raise InvalidInput(f"reason: at most {MAX_REASON_LENGTH} characters.")
    return cleaned


def decide(
    session: Session,
    *,
    user: User,
    actor: Actor,
    suggestion_id: uuid.UUID,
    outcome: str,
    urgency: str | None = None,
    pathway: str | None = None,
    reason: str | None = None,
    now: datetime,
) -> Decision:
    """Accept, amend or reject a proposal; the clinician's version becomes the record."""
    suggestion = _triage_suggestion(
        session,
        user=user,
        actor=actor,
        suggestion_id=suggestion_id,
        action=Action.SUGGESTION_DECIDE,
        now=now,
    )
    try:
        chosen = DecisionOutcome(outcome)
    except ValueError:
        allowed_outcomes = ", ".join(member.value for member in DecisionOutcome)
        raise InvalidInput(f"outcome: choose one of {allowed_outcomes}.") from None
    if suggestion.status != SuggestionStatus.PROPOSED:
        raise Conflict("This proposal was already decided; a decision is not made twice.")
    cleaned = _clean_reason(reason)
    if chosen is not DecisionOutcome.ACCEPTED and not cleaned:
        raise InvalidInput(f"reason: say why you {chosen.value.removesuffix('ed')} the proposal.")
    final_urgency: str | None = suggestion.urgency
    final_pathway: str | None = suggestion.pathway
    if chosen is DecisionOutcome.AMENDED:
        final_urgency = urgency or suggestion.urgency
        final_pathway = pathway or suggestion.pathway
        pathways = {item.id for item in _ruleset_of(session, suggestion).pathways}
        if final_urgency not in URGENCIES:
            raise InvalidInput(f"urgency: choose one of {', '.join(URGENCIES)}.")
        if final_pathway not in pathways:
            raise InvalidInput(f"pathway: choose one of {', '.join(sorted(pathways))}.")
        if (final_urgency, final_pathway) == (suggestion.urgency, suggestion.pathway):
            raise InvalidInput(
                "urgency: an amendment changes the urgency or the pathway; "
                "to keep both, accept the proposal."
            )
    elif chosen is DecisionOutcome.REJECTED:
        final_urgency, final_pathway = None, None
    # Compare-and-set: of two clinicians deciding at once, exactly one decision is stored.
    moved = session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion.id)
        .where(Suggestion.status == SuggestionStatus.PROPOSED)
        .values(status=STATUS_FOR[chosen])
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise Conflict("This proposal was already decided; a decision is not made twice.")
    suggestion.status = STATUS_FOR[chosen]
    decision = Decision(
        organization_id=suggestion.organization_id,
        client_id=suggestion.client_id,
        suggestion_id=suggestion.id,
        outcome=chosen,
        decided_by_id=user.id,
        decided_at=now,
        urgency=final_urgency,
        pathway=final_pathway,
        proposed_urgency=suggestion.urgency,
        proposed_pathway=suggestion.pathway,
        proposed_at=suggestion.proposed_at,
        proposed_rules=list(suggestion.fired_rules or ()),
        proposed_versions=dict(suggestion.versions or {}),
        reason=cleaned or None,
    )
    session.add(decision)
    if suggestion.intake_id is not None:
        # The assigned reviewer's access ends a set time after the decision.
        session.execute(
            update(ReviewAssignment)
            .where(ReviewAssignment.intake_id == suggestion.intake_id)
            .where(ReviewAssignment.ends_at.is_(None))
            .values(ends_at=now + assignment_grace_for(session, suggestion.organization_id))
            .execution_options(synchronize_session=False)
        )
    session.flush()
    _audit(
        session,
        user=user,
        actor=actor,
        action=AuditAction.DECIDE,
        resource_id=suggestion.id,
        client_id=suggestion.client_id,
        now=now,
    )
    if final_urgency is not None and final_pathway is not None:
        _add_to_waitlist(session, decision, user, now)
    return decision


def _add_to_waitlist(session: Session, decision: Decision, user: User, now: datetime) -> None:
    """Hand an accepted or amended triage to scheduling: the client joins the waitlist."""
    assert decision.urgency is not None  # noqa: S101 - only called for accepted or amended
    assert decision.pathway is not None  # noqa: S101 - only called for accepted or amended
    add_to_waitlist(
        session,
        client_id=decision.client_id,
        urgency=decision.urgency,
        pathway=decision.pathway,
        decided_by=user,
        now=now,
        decision_ref=str(decision.suggestion_id),
    )


def decided_triage(session: Session, client_id: uuid.UUID) -> list[Decision]:
    """The client's triage as recorded: clinicians' decisions only, never bare proposals."""
    return list(
        session.scalars(
            select(Decision)
            .where(Decision.client_id == client_id)
            .where(Decision.outcome != DecisionOutcome.REJECTED)
            .order_by(Decision.decided_at)
        )
    )


@dataclass(frozen=True)
class OversightFigures:
    """The clinical lead's figures, counted by the database (:func:`oversight_figures`)."""

    overall: OverrideRate
    by_rule: list[OverrideRate]
    by_ruleset: list[OverrideRate]
    by_model: list[OverrideRate]
    review_times: list[ReviewTime]
    targets: dict[str, timedelta]
    escalation_minutes: int
    # The version of the rules the targets belong to, and whether it sets them itself.
    targets_version: str = ""
    targets_own: bool = False
    by_week: list[OverrideRate] = field(default_factory=list)
    weeks: int | None = None  # the decisions counted: of the last so many weeks (None: all)
    # (week start ISO date, urgency) → median and 90th percentile of that week's decisions.
    review_times_by_week: dict[tuple[str, str], ReviewTime] = field(default_factory=dict)


def _model_version(versions: Mapping[str, Any]) -> str:
    risk = versions.get("risk")
    if not isinstance(risk, Mapping):
        return NOT_READ_BY_SOFTWARE
    return str(risk.get("model") or "unknown")


def _ruleset_version(versions: Mapping[str, Any]) -> str:
    return f"{versions.get('ruleset', '?')} {versions.get('ruleset_version', '?')}"


def decision_records(session: Session, organization_id: uuid.UUID) -> list[DecisionRecord]:
    """Every triage proposal of the organisation with its decision, as plain records (for
    exports and for checking :func:`oversight_figures`; the page counts in the database)."""
    rows = session.execute(
        select(
            Suggestion.urgency,
            Suggestion.fired_rules,
            Suggestion.versions,
            Suggestion.proposed_at,
            Decision.outcome,
            Decision.decided_at,
        )
        .outerjoin(Decision, Decision.suggestion_id == Suggestion.id)
        .where(Suggestion.organization_id == organization_id)
        .where(Suggestion.kind == TRIAGE_KIND)
    ).all()
    records = []
    for urgency, fired, versions, proposed_at, outcome, decided_at in rows:
        recorded = dict(versions or {})
        records.append(
            DecisionRecord(
                urgency=urgency,
                fired_rules=tuple(fired or ()),
                ruleset_version=_ruleset_version(recorded),
                model_version=_model_version(recorded),
                proposed_at=proposed_at,
                outcome=None if outcome is None else str(outcome.value),
                decided_at=decided_at,
            )
        )
    return records


def _triage_of(organization_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [Suggestion.organization_id == organization_id, Suggestion.kind == TRIAGE_KIND]


def _decided(organization_id: uuid.UUID, since: datetime | None) -> CTE:
    """The organisation's triage decisions since ``since`` with the facts of their proposals,
    which each decision keeps (proposed urgency, time, rules and versions): read from the
    decisions' (organisation, time) index alone, so the cost follows the decisions counted,
    never every proposal ever made. A MATERIALIZED common table expression: the figures below
    read it three times, and the rows are read once."""
    window = [Decision.organization_id == organization_id]
    if since is not None:
        window.append(Decision.decided_at >= since)
    query = select(
        Decision.outcome.label("outcome"),
        Decision.decided_at.label("decided_at"),
        Decision.proposed_urgency.label("urgency"),
        cast(Decision.proposed_rules, Text).label("rules"),
        cast(Decision.proposed_versions, Text).label("versions"),
        Decision.proposed_at.label("proposed_at"),
        Decision.suggestion_id.label("suggestion_id"),
    ).where(*window)
    return query.cte("decided").prefix_with("MATERIALIZED")


COUNTS, BY_URGENCY, BY_WEEK = "counts", "by urgency", "by week"


def _at_percentile_ranks(decided: CTE, part: str, by_week: bool) -> Select[Any]:
    """The decisions at the ranks the median and the 90th percentile need (percentile_ranks)
    of their urgency (and week), each carrying its group's count: one pass over the window."""
    seconds = seconds_between(decided.c.proposed_at, decided.c.decided_at)
    week = week_start(decided.c.decided_at)
    groups = (decided.c.urgency, week) if by_week else (decided.c.urgency,)
    ordered = select(
        decided.c.urgency.label("urgency"),
        (week if by_week else cast(null(), Date)).label("week"),
        seconds.label("seconds"),
        func.row_number()
        .over(partition_by=groups, order_by=(seconds, decided.c.suggestion_id))
        .label("rank"),
        func.count().over(partition_by=groups).label("decided"),
    ).subquery(part.replace(" ", "_"))
    n = ordered.c.decided
    return select(
        literal(part).label("part"),
        cast(null(), Text),
        cast(null(), Text),
        cast(null(), String),
        ordered.c.week,
        ordered.c.urgency,
        ordered.c.seconds,
        ordered.c.rank,
        n,
    ).where(
        or_(
            ordered.c.rank == (n + 1) // 2,
            ordered.c.rank == n // 2 + 1,
            ordered.c.rank == (9 * n + 9) // 10,
        )
    )


@dataclass(frozen=True)
class _Decided:
    groups: list[DecisionGroup]
    by_week: list[OverrideRate]
    counted: dict[str, int]
    at_rank: dict[str, dict[int, timedelta]]
    weekly_times: dict[tuple[str, str], ReviewTime]


def _figures_of(decided: CTE, session: Session) -> _Decided:
    """Override counts by rules and versions and by week, and review times by urgency and by
    urgency and week, from one statement over the decisions of the window."""
    # Proposals share few combinations of fired rules and versions, so grouping by their JSON
    # text leaves a handful of rows per week however many proposals there are.
    week = week_start(decided.c.decided_at)
    counts = select(
        literal(COUNTS).label("part"),
        decided.c.rules,
        decided.c.versions,
        cast(decided.c.outcome, String).label("outcome"),
        week.label("week"),
        cast(null(), String).label("urgency"),
        cast(null(), Float).label("seconds"),
        cast(null(), Integer).label("rank"),
        func.count().label("n"),
    ).group_by(decided.c.rules, decided.c.versions, decided.c.outcome, week)
    rows = session.execute(
        union_all(
            counts,
            _at_percentile_ranks(decided, BY_URGENCY, by_week=False),
            _at_percentile_ranks(decided, BY_WEEK, by_week=True),
        )
    ).all()
    groups: list[DecisionGroup] = []
    weekly: list[tuple[str, str, int]] = []
    counted: dict[str, int] = {}
    at_rank: dict[str, dict[int, timedelta]] = {}
    counted_by_week: dict[tuple[str, str], int] = {}
    at_rank_by_week: dict[tuple[str, str], dict[int, timedelta]] = {}
    for part, rules, versions, outcome, monday, urgency, value, rank, count in rows:
        if part == COUNTS:
            recorded = json.loads(versions) if versions else {}
            recorded = recorded if isinstance(recorded, dict) else {}
            word = str(DecisionOutcome(outcome).value)
            groups.append(
                DecisionGroup(
                    fired_rules=tuple(json.loads(rules) or ()) if rules else (),
                    ruleset_version=_ruleset_version(recorded),
                    model_version=_model_version(recorded),
                    outcome=word,
                    count=int(count),
                )
            )
            weekly.append((as_date(monday).isoformat(), word, int(count)))
            continue
        spent = max(timedelta(seconds=float(value)), timedelta(0))
        if part == BY_URGENCY:
            counted[urgency] = int(count)
            at_rank.setdefault(urgency, {})[int(rank)] = spent
        else:
            key = (as_date(monday).isoformat(), str(urgency))
            counted_by_week[key] = int(count)
            at_rank_by_week.setdefault(key, {})[int(rank)] = spent
    return _Decided(
        groups=groups,
        by_week=override_rate_by_period(weekly),
        counted=counted,
        at_rank=at_rank,
        weekly_times={
            key: review_time_from_ranks(key[1], count, 0, at_rank_by_week[key])
            for key, count in counted_by_week.items()
        },
    )


def _review_times(
    figures: _Decided, session: Session, organization_id: uuid.UUID
) -> list[ReviewTime]:
    # Waiting: proposed and not decided. NOT EXISTS lets the database check each waiting
    # proposal against the decisions' unique key instead of reading every decision.
    waiting = dict(
        session.execute(
            select(Suggestion.urgency, func.count())
            .where(*_triage_of(organization_id))
            .where(Suggestion.status == SuggestionStatus.PROPOSED)
            .where(~select(Decision.id).where(Decision.suggestion_id == Suggestion.id).exists())
            .group_by(Suggestion.urgency)
        ).all()
    )
    counted = figures.counted
    order = list(URGENCIES) + sorted((set(counted) | set(waiting)) - set(URGENCIES))
    return [
        review_time_from_ranks(
            urgency,
            counted.get(urgency, 0),
            int(waiting.get(urgency, 0)),
            figures.at_rank.get(urgency, {}),
        )
        for urgency in order
    ]


def oversight_figures(
    session: Session,
    *,
    actor: Actor,
    now: datetime | None = None,
    weeks: int | None = DEFAULT_OVERSIGHT_WEEKS,
) -> OversightFigures:
    """Override rates (by rule, ruleset and model version, and by week) and review times of
    the decisions of the last ``weeks`` weeks (None: ever), and the proposals waiting now, for
    the clinical lead (404 for anyone else), counted by the database, not loaded row by row."""
    if not can(actor, Action.FAIRNESS_READ, Resource(organization_id=actor.organization_id)):
        raise NotFound("There is nothing at this address available to you.")
    if weeks is not None and not 1 <= weeks <= MAX_OVERSIGHT_WEEKS:
        raise InvalidInput(f"weeks: between 1 and {MAX_OVERSIGHT_WEEKS}.")
    since = None if weeks is None else (now or utcnow()) - timedelta(weeks=weeks)
    org = actor.organization_id
    figures = _figures_of(_decided(org, since), session)
    rates = override_rates(figures.groups)
    in_force = wait_targets_in_force(session, org)
    return OversightFigures(
        overall=rates.overall,
        by_rule=rates.by_rule,
        by_ruleset=rates.by_ruleset,
        by_model=rates.by_model,
        review_times=_review_times(figures, session, org),
        targets=wait_targets_as_times(in_force),
        escalation_minutes=escalation_minutes_for(session, org),
        targets_version=in_force.version,
        targets_own=in_force.own,
        by_week=figures.by_week,
        weeks=weeks,
        review_times_by_week=figures.weekly_times,
    )


def may_review(session: Session, *, actor: Actor, suggestion_id: uuid.UUID) -> bool:
    """Whether this person may open the case (no audit: nothing of the case is read)."""
    suggestion = session.get(Suggestion, suggestion_id)
    return suggestion is not None and can(actor, Action.INTAKE_REVIEW, case_resource(suggestion))


@dataclass(frozen=True)
class UrgencyLine:
    """One urgency on the lead's dashboard: waiting now, how many over target, the target."""

    urgency: str
    waiting: int
    over_target: int
    target: timedelta | None
    oldest: datetime | None


@dataclass(frozen=True)
class Dashboard:
    """The clinical lead's picture of the service now (counts only; nothing decrypted)."""

    queue: list[UrgencyLine]
    waitlist: list[UrgencyLine]
    alerts: int
    alerts_in_time: int
    alerts_late: int
    alerts_open: int
    escalation_minutes: int
    weeks: int


DASHBOARD_WEEKS = 4


def dashboard(session: Session, *, actor: Actor, now: datetime) -> Dashboard:
    """The review queue and the waitlist by urgency against the wait targets, and crisis alerts
    of the last weeks acknowledged before they had to move on (clinical lead; 404 for others)."""
    if not can(actor, Action.FAIRNESS_READ, Resource(organization_id=actor.organization_id)):
        raise NotFound("There is nothing at this address available to you.")
    org = actor.organization_id
    targets = review_targets(session, org)

    def lines(rows: Sequence[tuple[str, datetime]]) -> list[UrgencyLine]:
        by_urgency: dict[str, list[datetime]] = {}
        for urgency, since in rows:
            by_urgency.setdefault(str(urgency), []).append(since)
        order = list(URGENCIES) + sorted(set(by_urgency) - set(URGENCIES))
        return [
            UrgencyLine(
                urgency=u,
                waiting=len(by_urgency.get(u, [])),
                over_target=sum(
                    1 for t in by_urgency.get(u, []) if u in targets and now - t > targets[u]
                ),
                target=targets.get(u),
                oldest=min(by_urgency[u]) if by_urgency.get(u) else None,
            )
            for u in order
        ]

    waiting_proposals = session.execute(
        select(Suggestion.urgency, Suggestion.proposed_at)
        .outerjoin(Decision, Decision.suggestion_id == Suggestion.id)
        .where(*_triage_of(org))
        .where(Suggestion.status == SuggestionStatus.PROPOSED)
        .where(Decision.id.is_(None))
    ).all()
    waiting_list = session.execute(
        select(WaitlistEntry.urgency, WaitlistEntry.added_at)
        .where(WaitlistEntry.organization_id == org)
        .where(WaitlistEntry.status == WaitlistStatus.WAITING)
    ).all()
    minutes = escalation_minutes_for(session, org)
    since = now - timedelta(weeks=DASHBOARD_WEEKS)
    alerts = session.execute(
        select(CrisisAlert.created_at, CrisisAlert.acknowledged_at)
        .where(CrisisAlert.organization_id == org)
        .where(CrisisAlert.created_at >= since)
    ).all()
    in_time = sum(
        1 for made, ack in alerts if ack is not None and ack - made <= timedelta(minutes=minutes)
    )
    open_now = sum(1 for _made, ack in alerts if ack is None)
    return Dashboard(
        queue=lines([(u, t) for u, t in waiting_proposals]),
        waitlist=lines([(u, t) for u, t in waiting_list]),
        alerts=len(alerts),
        alerts_in_time=in_time,
        alerts_late=len(alerts) - in_time - open_now,
        alerts_open=open_now,
        escalation_minutes=minutes,
        weeks=DASHBOARD_WEEKS,
    )
